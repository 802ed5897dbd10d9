"""Feed entries as the core sees them, and their stable identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit


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
