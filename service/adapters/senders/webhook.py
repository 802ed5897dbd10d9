from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import aiohttp

from service.adapters.senders.base import SendResult, post
from service.core.alerts import Alert
from service.core.formatting.serialise import encode_json
from service.core.formatting.webhook import webhook_payload
from service.core.signing import webhook_headers


class WebhookSender:
    """Standard Webhooks: the delivery id is the `webhook-id` on every attempt."""

    type = "webhook"

    def __init__(
        self, session: aiohttp.ClientSession, url: str, secrets: Sequence[str], timeout: float
    ) -> None:
        self._session = session
        self._url = url
        self._secrets = tuple(secrets)
        self._timeout = timeout

    async def send(self, alert: Alert, *, now: float) -> SendResult:
        timestamp = int(now)
        body = encode_json(webhook_payload(alert, datetime.fromtimestamp(timestamp, tz=UTC)))
        headers = webhook_headers(alert.delivery_id, timestamp, body, self._secrets)
        return await post(self._session, self._url, body, headers, self._timeout)
