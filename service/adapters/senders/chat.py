"""Slack, Discord and Teams incoming webhooks: a format and a POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp

from service.adapters.senders.base import SendResult, post
from service.core.alerts import Alert
from service.core.formatting.discord import discord_message, discord_url
from service.core.formatting.serialise import encode_json
from service.core.formatting.slack import slack_message
from service.core.formatting.teams import teams_message

Formatter = Callable[[Alert], dict[str, Any]]


class ChatSender:
    def __init__(
        self,
        type_: str,
        session: aiohttp.ClientSession,
        url: str,
        timeout: float,
        formatter: Formatter,
    ) -> None:
        self.type = type_
        self._session = session
        self._url = url
        self._timeout = timeout
        self._format = formatter

    async def send(self, alert: Alert, *, now: float) -> SendResult:
        body = encode_json(self._format(alert))
        return await post(self._session, self._url, body, {}, self._timeout)


def slack_sender(session: aiohttp.ClientSession, url: str, timeout: float) -> ChatSender:
    return ChatSender("slack", session, url, timeout, lambda a: slack_message(a))


def discord_sender(session: aiohttp.ClientSession, url: str, timeout: float) -> ChatSender:
    """Discord answers 204 with no body unless asked to `wait` for the message."""
    return ChatSender("discord", session, discord_url(url), timeout, lambda a: discord_message(a))


def teams_sender(session: aiohttp.ClientSession, url: str, timeout: float) -> ChatSender:
    return ChatSender("teams", session, url, timeout, lambda a: teams_message(a))
