"""aiohttp at the boundary: a polite conditional GET with hard limits.

aiohttp follows redirects (at most `MAX_REDIRECTS`) and decodes gzip, deflate and
br (with the Brotli package installed); the size cap counts decoded bytes. The
redirect hops are reported as (status, absolute Location) so the scheduler can
decide whether to adopt a permanent one; a loop or an over-long chain is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import aiohttp
from yarl import URL

from service.core.schedule import redirect_chain_error

MAX_REDIRECTS = 5


class FetchOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    CONNECTION_ERROR = "connection_error"
    REDIRECT_ERROR = "redirect_error"


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
    # Each redirect followed: (status, absolute Location).
    hops: tuple[tuple[int, str], ...] = ()

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx" if self.status else "none"


_HINT_HEADERS = ("cache-control", "expires", "retry-after", "age")


@functools.lru_cache(maxsize=1 << 16)
def _parsed(url: str) -> URL:
    """A feed's URL parsed once (yarl's parse and host encoding cost as much as a
    304 round trip's Redis work); URL objects are immutable."""
    return URL(url)


def redirect_hops(history: Sequence[Any]) -> tuple[tuple[int, str], ...]:
    """(status, absolute Location) of each redirect response aiohttp followed."""
    hops: list[tuple[int, str]] = []
    for resp in history:
        location = resp.headers.get("Location")
        if location is None:
            continue
        target: URL = resp.url.join(URL(location))
        hops.append((int(resp.status), str(target)))
    return tuple(hops)


def _chain_problem(start: str, hops: Sequence[tuple[int, str]]) -> str | None:
    return redirect_chain_error(start, [location for _, location in hops], MAX_REDIRECTS)


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
                _parsed(url),
                headers=headers,
                timeout=self._timeout,
                max_redirects=MAX_REDIRECTS + 1,
            ) as resp:
                hops = redirect_hops(resp.history)
                base = FetchResult(
                    FetchOutcome.OK,
                    status=resp.status,
                    final_url=str(resp.url),
                    hints={h: resp.headers[h] for h in _HINT_HEADERS if h in resp.headers},
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    content_type=resp.headers.get("Content-Type"),
                    hops=hops,
                )
                problem = _chain_problem(url, hops)
                if problem is not None:
                    return replace(base, outcome=FetchOutcome.REDIRECT_ERROR, error=problem)
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
                            error=too_large + (" (after decompression)" if encoded else ""),
                            bytes_read=size,
                        )
                    chunks.append(chunk)
                return replace(base, body=b"".join(chunks), bytes_read=size)
        except TimeoutError:
            return FetchResult(FetchOutcome.TIMEOUT, error="timed out")
        except aiohttp.TooManyRedirects as exc:
            hops = redirect_hops(exc.history)
            problem = _chain_problem(url, hops) or f"more than {MAX_REDIRECTS} redirects"
            status = hops[-1][0] if hops else None
            return FetchResult(FetchOutcome.REDIRECT_ERROR, status=status, error=problem, hops=hops)
        except (aiohttp.ClientError, OSError) as exc:
            detail = str(exc) or type(exc).__name__
            return FetchResult(FetchOutcome.CONNECTION_ERROR, error=detail)
