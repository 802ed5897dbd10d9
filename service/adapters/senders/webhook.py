from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import aiohttp

from service.adapters.senders.base import SendResult, post
from service.core.alerts import Alert
from service.core.formatting.webhook import webhook_payload
from service.core.signing import signature_header


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
        sent_at = datetime.fromtimestamp(timestamp, tz=UTC)
        body = json.dumps(webhook_payload(alert, sent_at), ensure_ascii=False).encode()
        headers = {
            "webhook-id": alert.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                alert.delivery_id, timestamp, body, self._secrets
            ),
        }
        return await post(self._session, self._url, body, headers, self._timeout)
