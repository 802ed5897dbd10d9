"""The one HTTP POST every chat and webhook sender shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import aiohttp

from service.core.alerts import Alert
from service.core.delivery_policy import SendResult

RESPONSE_BODY_KEPT = 2000

__all__ = ["SendResult", "Sender", "post"]


class Sender(Protocol):
    type: str

    async def send(self, alert: Alert, *, now: float) -> SendResult: ...


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
) -> SendResult:
    """POST exactly `body`; any answer, or its absence, becomes a SendResult."""
    try:
        async with session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as resp:
            text = (await resp.content.read(RESPONSE_BODY_KEPT)).decode("utf-8", "replace")
            return SendResult(resp.status, dict(resp.headers), text)
    except TimeoutError:
        return SendResult(None, error=f"timed out after {timeout:g} s")
    except (aiohttp.ClientError, OSError) as exc:
        return SendResult(None, error=str(exc) or type(exc).__name__)
