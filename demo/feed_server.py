"""A local RSS server whose feeds can be changed, and made to misbehave, at will."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

BEHAVIOURS = ("normal", "html", "malformed", "huge", "hang", "status", "redirect")


@dataclass
class Item:
    title: str
    link: str
    body: str
    guid: str | None = None
    published: datetime | None = None
    extra_xml: str = ""  # raw markup added inside the item, as some feeds carry


@dataclass
class Feed:
    title: str
    items: list[Item] = field(default_factory=list)
    behaviour: str = "normal"
    status: int = 200
    etag_enabled: bool = True
    # Added behaviours (defaults change nothing): seconds before answering, extra
    # headers on every answer, a Content-Encoding (gzip, deflate, br) for the body,
    # and for "redirect" where to (a feed name or an absolute URL), with which
    # status, and how many times before serving normally again (None: always).
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    redirect_to: str | None = None
    redirect_status: int = 301
    redirects_left: int | None = None

    def render(self) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            f"<title>{escape(self.title)}</title><link>http://example.invalid/</link>",
            "<description>feedwatch local feed</description>",
        ]
        for item in reversed(self.items):  # newest first, as real feeds list them
            when = item.published or datetime(2026, 1, 1, tzinfo=UTC)
            parts.append(
                "<item>"
                f"<title>{escape(item.title)}</title>"
                f"<link>{escape(item.link)}</link>"
                f'<guid isPermaLink="false">{escape(item.guid or item.link)}</guid>'
                f"<pubDate>{format_datetime(when)}</pubDate>"
                f"<description>{escape(item.body)}</description>"
                f"{item.extra_xml}</item>"
            )
        parts.append("</channel></rss>")
        return "\n".join(parts).encode()


@dataclass
class SeenRequest:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


class FeedServer:
    """Serves `/feeds/<name>.xml`. Misbehaviours: an HTML page, broken XML, a
    huge body streamed in chunks, a server that never answers, any status."""

    def __init__(self, huge_bytes: int = 30 * 1024 * 1024) -> None:
        self.feeds: dict[str, Feed] = {}
        self.requests: list[SeenRequest] = []
        self.huge_bytes = huge_bytes
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._served = asyncio.Condition()
        # Requests being answered now, and the most at once, per Host header.
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}

    def url(self, name: str) -> str:
        return f"{self.base_url}/feeds/{name}.xml"

    def feed(self, name: str, title: str | None = None) -> Feed:
        return self.feeds.setdefault(name, Feed(title or name))

    def publish(self, name: str, item: Item) -> None:
        self.feed(name).items.append(item)

    def requests_for(self, name: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == f"/feeds/{name}.xml"]

    async def wait_for_requests(self, name: str, count: int, timeout: float = 10) -> None:
        async with self._served:
            await asyncio.wait_for(
                self._served.wait_for(lambda: len(self.requests_for(name)) >= count), timeout
            )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
        try:
            return await self._answer(request)
        finally:
            self.in_flight[host] -= 1

    def _redirect(self, feed: Feed) -> web.StreamResponse | None:
        if feed.behaviour != "redirect" or feed.redirect_to is None:
            return None
        if feed.redirects_left is not None:
            if feed.redirects_left <= 0:
                return None
            feed.redirects_left -= 1
        target = feed.redirect_to
        location = target if "://" in target else self.url(target)
        return web.Response(status=feed.redirect_status, headers={"Location": location})

    def _encoded(self, feed: Feed, body: bytes) -> tuple[bytes, dict[str, str]]:
        if feed.encoding is None:
            return body, {}
        if feed.encoding == "gzip":
            return gzip.compress(body), {"Content-Encoding": "gzip"}
        if feed.encoding == "deflate":
            return zlib.compress(body), {"Content-Encoding": "deflate"}
        import brotli  # type: ignore[import-untyped]

        return brotli.compress(body), {"Content-Encoding": "br"}

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        async with self._served:
            self.requests.append(
                SeenRequest(
                    request.path,
                    request.headers.get("If-None-Match"),
                    request.headers.get("If-Modified-Since"),
                    request.headers.get("User-Agent"),
                )
            )
            self._served.notify_all()
        feed = self.feeds.get(name)
        if feed is None:
            raise web.HTTPNotFound()
        if feed.delay:
            await asyncio.sleep(feed.delay)
        redirect = self._redirect(feed)
        if redirect is not None:
            return redirect
        if feed.behaviour == "hang":
            await asyncio.sleep(3600)
        if feed.behaviour == "status":
            return web.Response(
                status=feed.status, text=f"status {feed.status}", headers=feed.headers
            )
        if feed.behaviour == "html":
            return web.Response(
                text="<!doctype html><html><head><title>Oops</title></head>"
                "<body><p>Please enable JavaScript</p></body></html>",
                content_type="text/html",
            )
        if feed.behaviour == "malformed":
            return web.Response(
                body=b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                b"<item><title>broken</title><link>http://x.invalid/1</link></item><item><tit",
                content_type="application/rss+xml",
            )
        if feed.behaviour == "huge":
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await response.prepare(request)
            chunk = b"<!-- " + b"x" * (1024 * 1024 - 9) + b" -->"
            sent = 0
            while sent < self.huge_bytes:
                await response.write(chunk)
                sent += len(chunk)
            await response.write_eof()
            return response
        body = feed.render()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if feed.etag_enabled and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag, **feed.headers})
        headers = {"ETag": etag} if feed.etag_enabled else {}
        body, encoding = self._encoded(feed, body)
        return web.Response(
            body=body,
            headers={**headers, **feed.headers, **encoding},
            content_type="application/rss+xml",
        )

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/feeds/{name}.xml", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{host}:{bound[1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
