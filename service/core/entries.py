"""Feed entries as the core sees them, and their stable identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, already translated from the parser's shape.

    `summary` and `content` may hold HTML; the core normalises them itself.
    """

    feed_id: str
    guid: str | None
    link: str | None
    title: str
    summary: str = ""
    content: str = ""
    author: str | None = None
    published: datetime | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def body(self) -> str:
        """The longest text the feed gives for this entry."""
        return self.content if len(self.content) >= len(self.summary) else self.summary

    def key(self) -> str:
        """Stable identity within its feed: GUID, else link, else a hash of title and body."""
        if self.guid:
            return "g:" + self.guid
        if self.link:
            return "l:" + self.link
        digest = hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()[:32]
        return "h:" + digest


def feed_id_for(url: str) -> str:
    """A short stable id for a feed URL, safe to use in Redis keys and logs."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def outlet_of(url: str | None) -> str | None:
    """The outlet an article URL belongs to: its host without a leading `www.`."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def entry_to_dict(entry: Entry) -> dict[str, object]:
    """A plain form for job payloads (stable across releases, unlike a pickle)."""
    return {
        "feed_id": entry.feed_id,
        "guid": entry.guid,
        "link": entry.link,
        "title": entry.title,
        "summary": entry.summary,
        "content": entry.content,
        "author": entry.author,
        "published": entry.published.isoformat() if entry.published else None,
        "tags": list(entry.tags),
    }


def entry_from_dict(data: dict[str, object]) -> Entry:
    published = data.get("published")
    tags = data.get("tags") or []
    return Entry(
        feed_id=str(data["feed_id"]),
        guid=str(data["guid"]) if data.get("guid") else None,
        link=str(data["link"]) if data.get("link") else None,
        title=str(data.get("title") or ""),
        summary=str(data.get("summary") or ""),
        content=str(data.get("content") or ""),
        author=str(data["author"]) if data.get("author") else None,
        published=datetime.fromisoformat(str(published)) if published else None,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
    )


def loggable_url(url: str | None) -> str:
    """A feed URL fit for logs: no credentials, and query values masked, since a
    feed URL from the environment may carry a token (`?key=...`)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = "&".join(
        f"{pair.split('=', 1)[0]}=…" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
