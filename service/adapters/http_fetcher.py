"""aiohttp at the boundary: a polite conditional GET with hard limits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import aiohttp


class FetchOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    CONNECTION_ERROR = "connection_error"


@dataclass(frozen=True, slots=True)
class FetchResult:
    outcome: FetchOutcome
    status: int | None = None
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    final_url: str | None = None
    hints: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    bytes_read: int = 0

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx" if self.status else "none"


_HINT_HEADERS = ("cache-control", "expires", "retry-after", "age")


class HttpFetcher:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        user_agent: str,
        connect_timeout: float,
        total_timeout: float,
        max_bytes: int,
    ) -> None:
        self._session = session
        self._user_agent = user_agent
        self._timeout = aiohttp.ClientTimeout(
            total=total_timeout, sock_connect=connect_timeout, connect=connect_timeout
        )
        self._max_bytes = max_bytes

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        headers = {
            "User-Agent": self._user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
            "text/xml;q=0.8, */*;q=0.5",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self._session.get(
                url, headers=headers, timeout=self._timeout, max_redirects=5
            ) as resp:
                base = FetchResult(
                    FetchOutcome.OK,
                    status=resp.status,
                    final_url=str(resp.url),
                    hints={h: resp.headers[h] for h in _HINT_HEADERS if h in resp.headers},
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    content_type=resp.headers.get("Content-Type"),
                )
                if resp.status == 304:
                    return replace(base, outcome=FetchOutcome.NOT_MODIFIED)
                if not 200 <= resp.status < 300:
                    error = f"HTTP {resp.status} {resp.reason or ''}".strip()
                    return replace(base, outcome=FetchOutcome.HTTP_ERROR, error=error)
                too_large = f"body is over the {self._max_bytes} byte cap"
                declared = resp.content_length
                encoded = bool(resp.headers.get("Content-Encoding"))
                if declared is not None and declared > self._max_bytes and not encoded:
                    return replace(base, outcome=FetchOutcome.TOO_LARGE, error=too_large)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > self._max_bytes:
                        return replace(
                            base,
                            outcome=FetchOutcome.TOO_LARGE,
                            error=too_large + " (after decompression)",
                            bytes_read=size,
                        )
                    chunks.append(chunk)
                return replace(base, body=b"".join(chunks), bytes_read=size)
        except TimeoutError:
            return FetchResult(FetchOutcome.TIMEOUT, error="timed out")
        except aiohttp.TooManyRedirects:
            return FetchResult(FetchOutcome.HTTP_ERROR, error="too many redirects")
        except (aiohttp.ClientError, OSError) as exc:
            detail = str(exc) or type(exc).__name__
            return FetchResult(FetchOutcome.CONNECTION_ERROR, error=detail)
