"""Feed bodies at the boundary: bytes in, core `Entry` values out.

feedparser is the reference. Common well-formed feeds are read by the lxml fast path
in `fast_feed_parser`, which yields exactly what feedparser would (see
docs/parsing.md); everything it declines is read by feedparser itself.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser

from service.adapters.fast_feed_parser import Declined, Pending, parse_fast, parse_fast_pending
from service.core.entries import Entry


class FeedParseError(ValueError):
    """The body is not a feed feedparser can read (HTML page, broken XML, ...)."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: list[Entry]
    ttl_seconds: int | None = None
    warning: str | None = None


def _time(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _content(item: Any) -> str:
    contents = item.get("content") or []
    values = [c.get("value", "") for c in contents if c.get("value")]
    return max(values, key=len) if values else ""


def _entry(feed_id: str, item: Any) -> Entry:
    return Entry(
        feed_id=feed_id,
        guid=(item.get("id") or None),
        link=(item.get("link") or None),
        title=item.get("title", "") or "",
        summary=item.get("summary", "") or "",
        content=_content(item),
        author=(item.get("author") or None),
        published=_time(item.get("published_parsed") or item.get("updated_parsed")),
        tags=tuple(t.get("term", "") for t in item.get("tags", []) if t.get("term")),
    )


def _usable(entry: Entry) -> bool:
    return bool(entry.guid or entry.link or entry.title or entry.body)


def unshared_guids(entries: list[Entry]) -> list[Entry]:
    """The entries, with no GUID on those whose GUID another entry of the same
    document has under a different link. An entry is told apart by its GUID in
    the seen set and in story identity alike, so a feed that gives every item
    one GUID would otherwise lose all but the first; such entries go by their
    link (else their text) instead."""
    links: dict[str, set[str | None]] = {}
    for entry in entries:
        if entry.guid:
            links.setdefault(entry.guid, set()).add(entry.link)
    shared = {guid for guid, seen in links.items() if len(seen) > 1}
    if not shared:
        return entries
    return [replace(e, guid=None) if e.guid in shared else e for e in entries]


def parse_feed(body: bytes, feed_id: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document. CPU-bound: call it off the event loop.

    A body that is not XML at all, or whose XML breaks off (a truncated download),
    is refused as a whole rather than half-read; undefined entities, which many
    real feeds carry, are tolerated.
    """
    return parse_feed_traced(body, feed_id, content_type)[0]


def parse_feed_traced(
    body: bytes, feed_id: str, content_type: str | None = None
) -> tuple[ParsedFeed, str | None]:
    """`parse_feed`, plus why the fast path declined (None when it did not)."""
    try:
        title, entries, ttl = parse_fast(body, feed_id, content_type)
    except Declined as declined:
        return parse_with_feedparser(body, feed_id, content_type), str(declined)
    usable = unshared_guids([e for e in entries if _usable(e)])
    return ParsedFeed(title=title, entries=usable, ttl_seconds=ttl), None


@dataclass(frozen=True, slots=True)
class PendingFeed:
    """A parsed feed whose entries are read only when wanted: each `Pending` has
    its `Entry.key()`, and `read()` gives the entry (or raises `Declined`: the
    fast path cannot read it after all, and the feed must go to feedparser)."""

    title: str
    entries: list[Pending]
    ttl_seconds: int | None = None
    warning: str | None = None


def parse_feed_pending(
    body: bytes, feed_id: str, content_type: str | None = None
) -> tuple[PendingFeed, str | None]:
    """`parse_feed_traced`, reading of each entry only its key until it is wanted.

    A changed feed mostly repeats entries it has sent before; the pipeline reads in
    full only those its seen set does not hold. Entries without a guid or a link
    are read at once, since their key is a hash of their text. When the fast path
    declines, feedparser reads the feed and every entry is ready."""
    try:
        title, pending, ttl = parse_fast_pending(body, feed_id, content_type)
        entries: list[Pending] = []
        # Entries sharing a GUID are read now, to see whether their links differ.
        repeated = {k for k, n in Counter(i.key for i in pending).items() if n > 1 and k}
        shared = iter(unshared_guids([i.read() for i in pending if i.key in repeated]))
        for item in pending:
            if item.key is not None and item.key not in repeated:
                entries.append(item)
                continue
            entry = next(shared) if item.key in repeated else item.read()
            if _usable(entry):
                entries.append(_ready(entry))
    except Declined as declined:
        return pending_feed(parse_with_feedparser(body, feed_id, content_type)), str(declined)
    return PendingFeed(title=title, entries=entries, ttl_seconds=ttl), None


def pending_feed(parsed: ParsedFeed) -> PendingFeed:
    """A feed read in full, as a `PendingFeed` whose entries are all ready."""
    return PendingFeed(
        title=parsed.title,
        entries=[_ready(e) for e in parsed.entries],
        ttl_seconds=parsed.ttl_seconds,
        warning=parsed.warning,
    )


def _ready(entry: Entry) -> Pending:
    return Pending(entry.key(), lambda: entry)


def parse_with_feedparser(body: bytes, feed_id: str, content_type: str | None = None) -> ParsedFeed:
    """The reference reading of a feed, by feedparser alone."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version", "")
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f": {reason}" if reason else ""
        raise FeedParseError(f"not an RSS or Atom feed{detail}")
    problem = parsed.get("bozo_exception")
    if isinstance(problem, SAXParseException) and "undefined entity" not in str(problem):
        raise FeedParseError(
            f"malformed XML at line {problem.getLineNumber()}, column "
            f"{problem.getColumnNumber()}: {problem.getMessage()}"
        )
    ttl: int | None = None
    raw_ttl = parsed.feed.get("ttl")
    if raw_ttl and str(raw_ttl).strip().isdigit():
        ttl = int(str(raw_ttl).strip()) * 60
    warning = str(problem) if parsed.get("bozo") else None
    return ParsedFeed(
        title=parsed.feed.get("title", "") or "",
        entries=unshared_guids(
            [e for e in (_entry(feed_id, item) for item in parsed.entries) if _usable(e)]
        ),
        ttl_seconds=ttl,
        warning=warning,
    )
