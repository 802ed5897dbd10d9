"""A local RSS server whose feeds can be changed, and made to misbehave, at will."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

BEHAVIOURS = ("normal", "html", "malformed", "huge", "hang", "status")


@dataclass
class Item:
    title: str
    link: str
    body: str
    guid: str | None = None
    published: datetime | None = None


@dataclass
class Feed:
    title: str
    items: list[Item] = field(default_factory=list)
    behaviour: str = "normal"
    status: int = 200
    etag_enabled: bool = True

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
                "</item>"
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
        if feed.behaviour == "hang":
            await asyncio.sleep(3600)
        if feed.behaviour == "status":
            return web.Response(status=feed.status, text=f"status {feed.status}")
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
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag} if feed.etag_enabled else {}
        return web.Response(body=body, headers=headers, content_type="application/rss+xml")

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
