"""What every sender returns, and the one HTTP POST they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from service.core.alerts import Alert

RESPONSE_BODY_KEPT = 2000


@dataclass(frozen=True, slots=True)
class SendResult:
    """The receiver's answer; `status` is None when there was none (timeout, refused)."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


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
