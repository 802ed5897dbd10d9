"""OPML subscription lists (`feeds: - opml: FILE`) read with listparser.

listparser does the OPML semantics: nested folder outlines become category paths,
the `category` attribute is honoured, and a URL listed twice is one feed with the
categories of both places. It is lenient with broken XML (it returns no feeds
and no error), so the file is first checked with a strict XML parser: a broken
file is refused with its name, the line and column, and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import listparser
from lxml import etree


class OpmlError(ValueError):
    """An OPML file that cannot be imported; the message names the file."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str | None
    tags: tuple[str, ...] = ()


_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def load_opml(path: Path) -> list[OpmlFeed]:
    """The feeds of an OPML file, tagged with the names of their enclosing folders."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OpmlError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_opml(data, str(path))


def parse_opml(data: bytes, source: str) -> list[OpmlFeed]:
    """`load_opml` on bytes; `source` names the document in errors."""
    try:
        root = etree.fromstring(data, _STRICT)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise OpmlError(
            f"{source}: not well-formed XML at line {line}, column {column}: {exc.msg}"
        ) from None
    name = etree.QName(root).localname
    if name.lower() != "opml":
        raise OpmlError(f"{source}: root element is <{name}>, not <opml>")
    if not any(isinstance(c.tag, str) and c.tag.lower() == "body" for c in root):
        raise OpmlError(f"{source}: no <body> element")
    result: Any = listparser.parse(data)
    if result.get("bozo"):
        raise OpmlError(f"{source}: {result.get('bozo_exception')}")
    feeds = [_feed(item, source) for item in result.feeds]
    if not feeds:
        raise OpmlError(f"{source}: no feeds (no <outline> with an xmlUrl)")
    return feeds


def _feed(item: Any, source: str) -> OpmlFeed:
    url = str(item.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        title = item.get("title")
        raise OpmlError(f"{source}: feed {title!r} has xmlUrl {url!r}, not an http(s) URL")
    tags: list[str] = []
    for path in item.get("categories") or []:
        for folder in path:
            folder = str(folder).strip()
            if folder and folder not in tags:
                tags.append(folder)
    title = str(item.get("title") or "").strip() or None
    return OpmlFeed(url=url, title=title, tags=tuple(tags))
