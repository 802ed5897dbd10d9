from __future__ import annotations

import json

import aiohttp

from service.adapters.senders.base import SendResult, post
from service.core.alerts import Alert
from service.core.formatting.slack import slack_message


class SlackSender:
    type = "slack"

    def __init__(self, session: aiohttp.ClientSession, url: str, timeout: float) -> None:
        self._session = session
        self._url = url
        self._timeout = timeout

    async def send(self, alert: Alert, *, now: float) -> SendResult:
        body = json.dumps(slack_message(alert)).encode()
        return await post(self._session, self._url, body, {}, self._timeout)
