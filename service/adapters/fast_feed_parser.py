"""An lxml fast path that reads common, well-formed feeds exactly as feedparser does.

feedparser is the reference: this module yields the same `Entry` values it would,
or declines (`Declined`) and lets `feed_parser.parse_feed` ask feedparser. It
accepts only what it can mirror with certainty:

- RSS 2.0 (and 0.9x), RSS 1.0 (RDF) and Atom 1.0, in UTF-8, well-formed, without
  DOCTYPE or xml:base;
- elements from a short list of known ones (a `media:title` or an `itunes:summary`
  changes what feedparser reports, so a feed that carries one goes to feedparser),
  plus childless extensions of namespaces feedparser does not know, which it only
  files away under their own name;
- one of each field per entry; text-only elements (no child markup);
- Atom text constructs of type text or html (not xhtml, not base64).

feedparser rewrites HTML it keeps (relative-URI resolution runs every HTML field
through an sgmllib re-serialiser: attributes sorted, `<br>` becomes `<br />`,
cp1252 character references remapped, unknown entities escaped).
`feedparser_html` reproduces that rewrite token by token for ordinary markup and
hands anything unusual (comments, `<!`, stray `<`, odd attribute syntax) to
feedparser's own function, so the output is the same string either way.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import RelativeURIResolver, resolve_relative_uris
from lxml import etree

from service.core.entries import Entry

_E = TypeVar("_E")

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SY = "http://purl.org/rss/1.0/modules/syndication/"
_WFW = "http://wellformedweb.org/CommentAPI/"
_SLASH = "http://purl.org/rss/1.0/modules/slash/"
_FEEDBURNER = "http://rssnamespace.org/feedburner/ext/1.0"
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")


class Declined(Exception):
    """The fast path cannot be sure to agree with feedparser on this body."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


# ------------------------------------------------------------- what is accepted

_RSS2_ITEM = frozenset(
    {
        "title", "link", "guid", "pubDate", "description", "author", "category",
        "comments", "enclosure", _q(CONTENT, "encoded"), _q(DC, "creator"),
        _q(DC, "date"), _q(DC, "subject"), _q(_WFW, "commentRss"), _q(_WFW, "comment"),
        _q(_SLASH, "comments"), _q(_FEEDBURNER, "origLink"),
        *(_q(m, n) for m in _MEDIA for n in ("thumbnail", "content")),
    }
)  # fmt: skip
_MEDIA_CONTENT = frozenset(_q(m, "content") for m in _MEDIA)
_MEDIA_CREDIT = frozenset(_q(m, "credit") for m in _MEDIA)
_RSS2_CHANNEL = frozenset(
    {
        "title", "link", "description", "language", "copyright", "managingEditor",
        "webMaster", "pubDate", "lastBuildDate", "category", "generator", "docs",
        "cloud", "ttl", "image", "item", "skipHours", "skipDays", _q(ATOM, "link"),
        _q(_SY, "updatePeriod"), _q(_SY, "updateFrequency"), _q(_SY, "updateBase"),
        _q(DC, "language"), _q(DC, "rights"),
    }
)  # fmt: skip
_RSS2_NESTED = {
    "image": frozenset({"url", "title", "link", "width", "height", "description"}),
    "skipHours": frozenset({"hour"}),
    "skipDays": frozenset({"day"}),
}
_RSS1_ITEM = frozenset(
    {
        _q(RSS1, "title"), _q(RSS1, "link"), _q(RSS1, "description"), _q(CONTENT, "encoded"),
        _q(DC, "creator"), _q(DC, "date"), _q(DC, "subject"),
    }
)  # fmt: skip
_ATOM_ENTRY = frozenset(
    _q(ATOM, n)
    for n in (
        "title", "link", "id", "published", "updated", "author", "contributor",
        "category", "summary", "content", "rights",
    )
)  # fmt: skip
_ATOM_FEED = frozenset(
    _q(ATOM, n)
    for n in (
        "title", "subtitle", "link", "id", "updated", "author", "contributor",
        "category", "generator", "icon", "logo", "rights", "entry",
    )
)  # fmt: skip
_PERSON = frozenset(_q(ATOM, n) for n in ("name", "email", "uri"))
_SINGLE = frozenset(
    {
        "title", "link", "guid", "pubDate", "description", "author", "comments",
        _q(CONTENT, "encoded"), _q(DC, "creator"), _q(DC, "date"),
        *(_q(RSS1, n) for n in ("title", "link", "description")),
        *(_q(ATOM, n) for n in ("title", "id", "published", "updated", "author",
                                "summary", "content", "rights")),
    }
)  # fmt: skip
_TEXT_ATTRS = frozenset({XML_LANG})
_XML_TYPES = frozenset(
    {
        "application/rss+xml", "application/atom+xml", "application/rdf+xml",
        "application/xml",
    }
)  # fmt: skip

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=False,
    strip_cdata=True,
)


def _check_encoding(body: bytes, content_type: str | None) -> None:
    if content_type:
        media, _, params = content_type.partition(";")
        media = media.strip().lower()
        charset = None
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                charset = value.strip().strip("\"'").lower()
        if media not in _XML_TYPES and not (media == "text/xml" and charset == "utf-8"):
            raise Declined(f"content type {media!r}")
        if charset is not None and charset != "utf-8":
            raise Declined(f"charset {charset!r}")
    head = body[:200]
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise Declined("byte order mark")
    if head.startswith(b"<?xml"):
        decl = head[: head.find(b"?>") + 2]
        match = re.search(rb"""encoding\s*=\s*["']([^"']+)["']""", decl)
        if match and match.group(1).lower() != b"utf-8":
            raise Declined(f"declared encoding {match.group(1).decode('ascii', 'replace')!r}")
    elif not head.lstrip().startswith(b"<"):
        raise Declined("does not start with markup")


# ------------------------------------------------------------- text like feedparser

_looks_like_html = cast(Callable[[str], bool], _FeedParserMixin.looks_like_html)
_URIFIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_LINK_REF = re.compile("&([A-Za-z0-9_]+);")
_CP1252 = dict(_cp1252)


def _has_c1_control(text: str) -> bool:
    raw = text.encode("utf-8")
    at = raw.find(b"\xc2")
    while at >= 0:
        if 0x80 <= raw[at + 1] <= 0x9F:
            return True
        at = raw.find(b"\xc2", at + 1)
    return False


def _finish(text: str) -> str:
    """feedparser's last steps for every field: undo double UTF-8, map cp1252 controls."""
    return text if text.isascii() else _finish_non_ascii(text)


def _finish_non_ascii(text: str) -> str:
    try:  # noqa: SIM105  (contextlib.suppress costs more than the rest)
        text = text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return text.translate(_CP1252) if _has_c1_control(text) else text


def _uri(text: str) -> str:
    """feedparser's resolve_uri with no base: only its fixer of `scheme:///` applies."""
    at = text.find("://")
    if at > 0 and text[at + 3 : at + 4] == "/":
        return _URIFIXER.sub(r"\1\3", text)
    return text


# ---- HTML rewrite, token by token

_VOID = RelativeURIResolver.elements_no_end_tag
_START = re.compile(
    r"<([a-zA-Z][-_.:a-zA-Z0-9]*)"
    r"((?:\s+[a-zA-Z_][-:.a-zA-Z_0-9]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[-a-zA-Z0-9./,:;+*%?!$()_#=~@]+))?)*)"
    r"\s*/?>"
)
_ATTR = re.compile(
    r"\s+([a-zA-Z_][-:.a-zA-Z_0-9]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[-a-zA-Z0-9./,:;+*%?!$()_#=~@]+))?"
)
_END = re.compile(r"</([a-zA-Z][-_.:a-zA-Z0-9]*)\s*>")
_CHARREF = re.compile(r"&#([0-9]+|[xX][0-9a-fA-F]+);")
_ENTITYREF = re.compile(r"&([a-zA-Z][-.a-zA-Z0-9]*);")
_SHORTTAG = re.compile(r"<([^<>\s]+?)\s*/>")
_ENTITY_OR_CHARREF = RelativeURIResolver.entity_or_charref


class _Unusual(Exception):
    pass


# Caches hold at most 20 000 tags of at most 300 characters (a data: URI is not kept).
_CACHED_TAG_LENGTH = 300


class _Rewriter:
    """Runs single tokens through feedparser's own resolver, with bounded caches.

    The resolver collects output in its `pieces`, so each thread gets its own;
    the caches (plain dicts) are shared.
    """

    def __init__(self) -> None:
        self.local = threading.local()
        self.cache: dict[str, str] = {}
        self.tags: dict[str, str] = {}

    @property
    def resolver(self) -> Any:
        try:
            return self.local.resolver
        except AttributeError:
            self.local.resolver = RelativeURIResolver("", None, "text/html")
            return self.local.resolver

    def token(self, match: re.Match[str]) -> str:
        return self.token_text(match.group(0))

    def tag(self, inner: str) -> str:
        """The rewrite of `<inner>`, cached under `inner`."""
        m = _CANONICAL_ONE_ATTR.fullmatch(inner)
        if (
            m
            and m.group(1) not in _VOID
            and m.group(2) not in ("rel", "type")
            and not (_EDGE_SPACE.search(inner) and m.group(2) in _URI_KEYS.get(m.group(1), ()))
        ):
            out = "<" + inner + ">"  # `<a href="...">` is already in feedparser's form
        else:
            out = self._compute("<" + inner + ">")
        if len(inner) <= _CACHED_TAG_LENGTH:
            if len(self.tags) >= 20_000:
                self.tags.clear()
            self.tags[inner] = out
        return out

    def token_text(self, token: str) -> str:
        cached = self.cache.get(token)
        if cached is not None:
            return cached
        out = self._compute(token)
        if len(token) <= 40:
            if len(self.cache) >= 20_000:
                self.cache.clear()
            self.cache[token] = out
        return out

    def _compute(self, token: str) -> str:
        resolver = self.resolver
        resolver.pieces = []
        if token.startswith("&"):
            if m := _CHARREF.fullmatch(token):
                resolver.handle_charref(m.group(1))
            elif m := _ENTITYREF.fullmatch(token):
                resolver.handle_entityref(m.group(1))
            else:
                raise _Unusual(token)
        elif m := _END.fullmatch(token):
            resolver.unknown_endtag(m.group(1).lower())
        elif m := _START.fullmatch(token):
            return _start_tag(m.group(1).lower(), m.group(2), resolver)
        else:
            raise _Unusual(token)
        return "".join(resolver.pieces)


_RELATIVE_URI_ATTRS = RelativeURIResolver.relative_uris
_BARE_AMPERSAND = RelativeURIResolver.bare_ampersand


def _start_tag(tag: str, attr_text: str, resolver: Any) -> str:
    """feedparser's start tag rewrite, written out: the same steps as
    `RelativeURIResolver.unknown_starttag` with no base URI (dedupe by name, lower
    `rel`/`type` values, sort, strip URI attributes, escape, void elements `/>`),
    without its per-attribute regular expressions when a value needs none."""
    attrs: dict[str, str] = {}
    # findall: value "" only when there is no "=" (a quoted empty value keeps its quotes)
    for name, value in _ATTR.findall(attr_text):
        if not value:
            value = name
        else:
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            if "&" in value:
                value = _ENTITY_OR_CHARREF.sub(resolver._convert_ref, value)
        attrs[name.lower()] = value
    uri_keys = _URI_KEYS.get(tag, _NO_KEYS)
    out = "<" + tag
    for key in sorted(attrs):
        value = attrs[key]
        if key == "rel" or key == "type":
            value = value.lower() or value
        elif key in uri_keys:
            value = value.strip() or value
        if _SPECIAL.search(value):
            value = value.replace(">", "&gt;").replace("<", "&lt;").replace('"', "&quot;")
            value = _BARE_AMPERSAND.sub("&amp;", value)
        out += f' {key}="{value}"'
    return out + " />" if tag in _VOID else out + ">"


_URI_KEYS: dict[str, frozenset[str]] = {}
for _tag, _key in _RELATIVE_URI_ATTRS:
    _URI_KEYS[_tag] = _URI_KEYS.get(_tag, frozenset()) | {_key}
_NO_KEYS: frozenset[str] = frozenset()
_SPECIAL = re.compile('[&<>"]')
_EDGE_SPACE = re.compile(r'="\s|\s"$')


_REWRITER = _Rewriter()


_REF = re.compile(r"&[^&<>;\s]*;?")


_SPACE_OR_GT = re.compile(r"[\s>]")
_CANONICAL_ONE_ATTR = re.compile(r'([a-z][a-z0-9]*) ([a-z][a-z0-9-]*)="[^"&<>]*"')


def _needs_shorttag_pass(text: str) -> bool:
    """Whether feedparser's `<tag/>` rewrite would touch `text` (it skips tags with attributes)."""
    at = text.find("/>")
    while at >= 0:
        open_at = text.rfind("<", 0, at)
        inner = text[open_at + 1 : at].rstrip()
        if open_at >= 0 and inner and not _SPACE_OR_GT.search(inner):
            return True
        at = text.find("/>", at + 2)
    return False


def _rewrite(text: str) -> str:
    """Tokens after each `<` looked up in the cache; text between them kept as is."""
    get = _REWRITER.tags.get
    compute = _REWRITER.tag
    has_refs = "&" in text
    parts = text.split("<")
    first = parts[0]
    out = [_REF.sub(_REWRITER.token, first) if has_refs and "&" in first else first]
    for part in parts[1:]:
        tag, closed, rest = part.partition(">")
        if not closed:
            raise _Unusual(part)
        out.append(get(tag) or compute(tag))
        out.append(_REF.sub(_REWRITER.token, rest) if has_refs and "&" in rest else rest)
    return "".join(out)


def feedparser_html(text: str) -> str:
    """`text` as feedparser's relative-URI pass (no base URI) would return it."""
    if "<" not in text and "&" not in text:
        return text
    source = text
    if "<!" in text or "<?" in text:
        return cast(str, resolve_relative_uris(source, "", None, "text/html"))
    if "&#" in text:
        text = text.replace("&#39;", "'").replace("&#34;", '"')
    if "/>" in text and _needs_shorttag_pass(text):
        text = _SHORTTAG.sub(_REWRITER.resolver._shorttag_replace, text)
    try:
        return _rewrite(text)
    except _Unusual:
        return cast(str, resolve_relative_uris(source, "", None, "text/html"))


# ---- dates

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
)}  # fmt: skip
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    r"|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UT|UTC|Z|[+-]\d{4})"
)
_W3C = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
)


def _offset(zone: str) -> int:
    if zone in ("GMT", "UT", "UTC", "Z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)


_DATES: dict[str, datetime | None] = {}


def parse_date(value: str) -> datetime | None:
    """A feed date as feedparser's `_parse_date` reads it, as an aware UTC datetime.

    Remembered: Atom repeats published in updated, and a changed feed repeats the
    dates of all the entries it still carries.
    """
    try:
        return _DATES[value]
    except KeyError:
        pass
    moment = _parse_date_uncached(value)
    if len(value) <= 64:
        if len(_DATES) >= 8192:
            _DATES.clear()
        _DATES[value] = moment
    return moment


def _parse_date_uncached(value: str) -> datetime | None:
    if not value:
        return None
    m = _RFC822.fullmatch(value)
    if m:
        day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
        zone = m.group(7)
    else:
        m = _W3C.fullmatch(value)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            zone = m.group(7)
    if m and 1 <= day <= 31 and year >= 1900:
        hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6))
        offset = _offset(zone)
        if hour < 24 and minute < 60 and second < 60 and abs(offset) < 86400:
            try:
                moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                pass
            else:
                return moment - timedelta(seconds=offset) if offset else moment
    struct = _parse_date(value)
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


# ------------------------------------------------------------- document walking


def _text(el: Any) -> str:
    if len(el):
        raise Declined(f"markup inside <{el.tag}>")
    return cast(str, (el.text or "").strip())


def _plain_attrs(el: Any, allowed: frozenset[str] = _TEXT_ATTRS) -> None:
    for key in el.attrib:
        if key not in allowed:
            raise Declined(f"attribute {key} on <{el.tag}>")


def _rss_text(el: Any, htmlish: bool) -> str:
    """A text element of RSS: html if its default type is html or if it looks like html."""
    _plain_attrs(el)
    value = _text(el)
    if htmlish or _looks_like_html(value):
        value = feedparser_html(value)
    return _finish(value)


_ATOM_TYPES = {"text": False, "text/plain": False, "html": True, "text/html": True}


_ATOM_TEXT_ATTRS = frozenset({XML_LANG, "type"})
_ATOM_LINK_ATTRS = frozenset({"href", "rel", "type", "title", "hreflang", "length"})
_ATOM_CATEGORY_ATTRS = frozenset({"term", "scheme", "label"})
_ATOM_NAME = _q(ATOM, "name")
_ATOM_EMAIL = _q(ATOM, "email")
_ATOM_PREFIX = len(ATOM) + 2
# Link types feedparser's map_content_type turns into an HTML type (lower case only).
_HTML_LINK_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


def _atom_text(el: Any) -> str:
    kind = "text"
    if el.attrib:
        _plain_attrs(el, _ATOM_TEXT_ATTRS)
        kind = el.get("type", "text").lower()
    html = _ATOM_TYPES.get(kind)
    if html is None:
        raise Declined(f"atom {el.tag} of type {kind!r}")
    if len(el):
        raise Declined(f"markup inside <{el.tag}>")
    value = (el.text or "").strip()
    if html:
        value = feedparser_html(value)
    return value if value.isascii() else _finish(value)


def _check_children(el: Any, allowed: frozenset[str]) -> list[Any]:
    children = list(el)
    seen: set[str] = set()
    for child in children:
        tag = child.tag
        if not isinstance(tag, str) or tag not in allowed:
            raise Declined(f"element {tag!r} in <{el.tag}>")
        if tag in _SINGLE:
            if tag in seen:
                raise Declined(f"repeated {tag} in <{el.tag}>")
            seen.add(tag)
    return children


Tag = tuple[str | None, str | None, str | None]


class _Fields:
    __slots__ = ("author", "content", "guid", "guid_is_link", "link", "published", "summary",
                 "tags", "title", "updated")  # fmt: skip

    def __init__(self) -> None:
        self.title = ""
        self.link: str | None = None
        self.guid: str | None = None
        self.guid_is_link = False
        self.summary: str | None = None
        self.content: str | None = None
        self.author: str | None = None
        self.published: datetime | None = None
        self.updated: datetime | None = None
        self.tags: list[Tag] = []

    def add_tag(self, tag: Tag) -> None:
        """feedparser's `_add_tag`: skip empty and repeated (term, scheme, label)."""
        if (tag[0] or tag[1] or tag[2]) and tag not in self.tags:
            self.tags.append(tag)

    def entry(self, feed_id: str) -> Entry:
        link = self.link
        if link is None and self.guid_is_link:
            link = self.guid
        summary = self.summary if self.summary is not None else (self.content or "")
        return Entry(
            feed_id=feed_id,
            guid=self.guid or None,
            link=link or None,
            title=self.title,
            summary=summary,
            content=self.content or "",
            author=self.author or None,
            published=self.published or self.updated,
            tags=tuple(term for term, _, _ in self.tags if term),
        )


_RDF_ABOUT = _q(RDF, "about")
_ABOUT_ATTRS = frozenset({_RDF_ABOUT})
_GUID_ATTRS = frozenset({"isPermaLink"})
_CATEGORY_ATTRS = frozenset({"domain"})
_NO_ATTRS: frozenset[str] = frozenset()
(_TITLE, _LINK, _GUID, _SUMMARY, _CONTENT, _AUTHOR, _PUBLISHED, _UPDATED, _CATEGORY,
 _IGNORED) = range(10)  # fmt: skip
_RSS_KIND = {
    "title": _TITLE, _q(RSS1, "title"): _TITLE,
    "link": _LINK, _q(RSS1, "link"): _LINK,
    "guid": _GUID,
    "description": _SUMMARY, _q(RSS1, "description"): _SUMMARY,
    _q(CONTENT, "encoded"): _CONTENT,
    "author": _AUTHOR, _q(DC, "creator"): _AUTHOR,
    "pubDate": _PUBLISHED,
    _q(DC, "date"): _UPDATED,
    "category": _CATEGORY, _q(DC, "subject"): _CATEGORY,
    _q(_WFW, "commentRss"): _IGNORED, _q(_WFW, "comment"): _IGNORED,
    _q(_SLASH, "comments"): _IGNORED, "comments": _IGNORED, "enclosure": _IGNORED,
    _q(_FEEDBURNER, "origLink"): _IGNORED,
    **{_q(m, n): _IGNORED for m in _MEDIA for n in ("thumbnail", "content")},
}  # fmt: skip

# What feedparser calls its known namespaces; an element in any other namespace is
# filed away under its own name unless that name happens to have a handler.
_KNOWN_NAMESPACES = frozenset(uri.lower() for uri in _FeedParserMixin.namespaces)
_KNOWN_PREFIXES = frozenset(p.lower() for p in _FeedParserMixin.namespaces.values() if p)
_HANDLERS = frozenset(
    name[7:] if name.startswith("_start_") else name[5:]
    for name in dir(StrictFeedParser)
    if name.startswith(("_start_", "_end_"))
)


def _harmless_extension(el: Any) -> bool:
    """An element of an unknown namespace that feedparser only stores under its own
    name: no child elements, and no handler of that name (`<x:title>` would be one)."""
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{") or len(el):
        return False
    ns, _, local = tag[1:].partition("}")
    lowered = ns.lower()
    if lowered in _KNOWN_NAMESPACES or "backend.userland.com/rss" in lowered:
        return False
    prefix = (el.prefix or "").lower()
    if prefix in _KNOWN_PREFIXES:
        return False
    name = f"{prefix}_{local.lower()}" if prefix else local.lower()
    return name not in _HANDLERS


_ATTRS_BY_KIND = {_GUID: _GUID_ATTRS, _CATEGORY: _CATEGORY_ATTRS}


def _rss_item(item: Any, feed_id: str, allowed: frozenset[str], rss1: bool) -> Entry:
    if item.keys():
        _plain_attrs(item, _ABOUT_ATTRS if rss1 else _NO_ATTRS)
    f = _Fields()
    if rss1:
        f.guid = item.get(_RDF_ABOUT)
    seen: set[int] = set()
    for child in item:
        tag = child.tag
        if tag not in allowed:
            if _harmless_extension(child):
                continue
            raise Declined(f"element {tag!r} in <{item.tag}>")
        kind = _RSS_KIND[tag]
        if kind in seen and kind != _CATEGORY and kind != _IGNORED:
            raise Declined(f"repeated {tag} in <{item.tag}>")
        seen.add(kind)
        if kind == _IGNORED:
            if len(child) and not (
                tag in _MEDIA_CONTENT and all(c.tag in _MEDIA_CREDIT and not len(c) for c in child)
            ):
                raise Declined(f"markup inside <{tag}>")
            continue
        if len(child):
            raise Declined(f"markup inside <{tag}>")
        keys = child.keys()
        if keys:
            allowed_attrs = _ATTRS_BY_KIND.get(kind, _TEXT_ATTRS)
            for key in keys:
                if key not in allowed_attrs:
                    raise Declined(f"attribute {key} on <{tag}>")
        value = (child.text or "").strip()
        # feedparser decides on HTML and rewrites it before its last text repairs.
        if kind == _TITLE:
            if ("<" in value or "&" in value) and _looks_like_html(value):
                value = feedparser_html(value)
            f.title = _finish(value)
            continue
        if kind == _SUMMARY:
            f.summary = _finish(feedparser_html(value))
            continue
        if kind == _CONTENT:
            f.content = _finish(feedparser_html(value))
            continue
        if not value.isascii():
            value = _finish_non_ascii(value)
        if kind == _LINK:
            link = _uri(value).replace("&amp;", "&")
            f.link = _LINK_REF.sub(r"&\g<1>", link) if "&" in link else link
        elif kind == _GUID:
            f.guid_is_link = child.get("isPermaLink", "true") == "true"
            f.guid = _uri(value) if f.guid_is_link and value else value
        elif kind == _AUTHOR:
            f.author = value
        elif kind == _PUBLISHED:
            f.published = parse_date(value)
        elif kind == _UPDATED:
            f.updated = parse_date(value)
        else:
            if not value:
                raise Declined("empty category")
            domain = child.get("domain")
            if domain:
                # feedparser files a tag for the domain first (so never merged), then names it.
                f.tags.append((value, domain, None))
            else:
                f.add_tag((value, None, None))
    return f.entry(feed_id)


_ATOM_URI = _q(ATOM, "uri")
_ATOM_ID = _q(ATOM, "id")
_ATOM_LINK = _q(ATOM, "link")


def _atom_person(el: Any) -> str:
    if el.keys():
        _plain_attrs(el)
    name = email = None
    for child in el:
        tag = child.tag
        if len(child) or child.keys():
            raise Declined(f"markup or attribute in <{tag}>")
        value = (child.text or "").strip()
        if not value.isascii():
            value = _finish_non_ascii(value)
        if tag == _ATOM_NAME and name is None:
            name = value
        elif tag == _ATOM_EMAIL and email is None:
            email = value
        elif tag != _ATOM_URI:
            raise Declined(f"element {tag!r} in <{el.tag}>")
    if not name:
        raise Declined("author without a name")
    return f"{name} ({email})" if email else name


_ATOM_REPEATABLE = frozenset({"link", "category", "contributor"})


def _atom_alternate(link: Any, alternate: str | None) -> str | None:
    """The entry's alternate link after this `<link>` (the last such link wins)."""
    attrs = dict(link.items())
    if not attrs.keys() <= _ATOM_LINK_ATTRS:
        raise Declined("unexpected attribute on an Atom link")
    if len(link) or (link.text or "").strip():
        raise Declined("link with content")
    href = attrs.get("href")
    if href is None:
        raise Declined("link without href")
    rel = attrs.get("rel", "alternate")
    kind = attrs.get("type")
    if rel != rel.lower() or (kind is not None and kind != kind.lower()):
        raise Declined("link rel or type in upper case")
    if rel == "alternate" and (kind is None or kind in _HTML_LINK_TYPES):
        return _uri(href)
    return alternate


def _atom_entry(entry: Any, feed_id: str) -> Entry:
    if entry.attrib:
        _plain_attrs(entry)
    f = _Fields()
    alternate: str | None = None
    seen: set[str] = set()
    for child in entry:
        tag = child.tag
        if tag not in _ATOM_ENTRY:
            if _harmless_extension(child):
                continue
            raise Declined(f"element {tag!r} in <{entry.tag}>")
        local = tag[_ATOM_PREFIX:]
        if local in seen and local not in _ATOM_REPEATABLE:
            raise Declined(f"repeated {tag} in <{entry.tag}>")
        seen.add(local)
        if local == "title":
            f.title = _atom_text(child)
        elif local == "link":
            alternate = _atom_alternate(child, alternate)
        elif local == "id":
            if child.attrib:
                _plain_attrs(child)
            value = _text(child)
            f.guid = _finish(_uri(value) if value else value)
            f.guid_is_link = True
        elif local == "summary":
            f.summary = _atom_text(child)
        elif local == "content":
            if child.get("src") is not None:
                raise Declined("content by reference")
            f.content = _atom_text(child)
        elif local == "author":
            f.author = _atom_person(child)
        elif local == "contributor":
            for person in _check_children(child, _PERSON):
                _text(person)
        elif local == "published" or local == "updated":
            if len(child):
                raise Declined(f"markup inside <{tag}>")
            value = (child.text or "").strip()
            moment = parse_date(value if value.isascii() else _finish(value))
            if local == "published":
                f.published = moment
            else:
                f.updated = moment
        elif local == "category":
            _plain_attrs(child, _ATOM_CATEGORY_ATTRS)
            if len(child) or (child.text or "").strip():
                raise Declined("category with content")
            f.add_tag((child.get("term"), child.get("scheme"), child.get("label")))
        else:
            _atom_text(child)
    if alternate is not None:
        f.link = alternate
    return f.entry(feed_id)


def parse_fast(
    body: bytes, feed_id: str, content_type: str | None = None
) -> tuple[str, list[Entry], int | None]:
    """(feed title, entries, ttl in seconds), exactly as feedparser would give them.

    Raises `Declined` with the reason whenever it cannot be sure.
    """
    return _parse(body, content_type, feed_id, _rss_item, _atom_entry)


def _parse(
    body: bytes,
    content_type: str | None,
    feed_id: str,
    rss_item: Callable[[Any, str, frozenset[str], bool], _E],
    atom_entry: Callable[[Any, str], _E],
) -> tuple[str, list[_E], int | None]:
    """The document and the feed's own elements checked and read; each entry made
    by `rss_item` or `atom_entry` (read in full, or only its key)."""
    root = _root(body, content_type)
    tag = root.tag
    if tag == "rss":
        return _parse_rss2(
            root, feed_id, lambda c, allowed, rss1: rss_item(c, feed_id, allowed, rss1)
        )
    if tag == _q(ATOM, "feed"):
        return _parse_atom(root, feed_id, lambda c: atom_entry(c, feed_id))
    if tag == _q(RDF, "RDF"):
        return _parse_rss1(
            root, feed_id, lambda c, allowed, rss1: rss_item(c, feed_id, allowed, rss1)
        )
    raise Declined(f"root element {tag!r}")


class Pending:
    """An entry whose key is known and whose text is read only if it is wanted.

    `key` is what `Entry.key()` will be, or None when that needs the entry's text
    (no guid and no link). `read()` reads the entry in full, exactly as
    `parse_fast` would, and raises `Declined` where `parse_fast` would."""

    __slots__ = ("_read", "key")

    def __init__(self, key: str | None, read: Callable[[], Entry]) -> None:
        self.key = key
        self._read = read

    def read(self) -> Entry:
        return self._read()


def parse_fast_pending(
    body: bytes, feed_id: str, content_type: str | None = None
) -> tuple[str, list[Pending], int | None]:
    """`parse_fast`, reading of each entry only what makes its key.

    A changed feed mostly repeats entries already seen; their summaries and
    content, the costly part, need not be read. The document and the feed's own
    elements are checked as `parse_fast` checks them; an entry is checked as far
    as its key needs, and in full when it is read."""
    return _parse(body, content_type, feed_id, _pending_rss_item, _pending_atom_entry)


def _root(body: bytes, content_type: str | None) -> Any:
    _check_encoding(body, content_type)
    if b"xml:base" in body:
        raise Declined("DOCTYPE or xml:base")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Declined(f"not well-formed: {exc}") from None
    doctype = root.getroottree().docinfo.doctype  # type: ignore[union-attr]  # not in lxml-stubs
    if doctype:  # entity declarations live only in a DOCTYPE
        raise Declined("DOCTYPE or xml:base")
    return root


def _entry_key(guid: str | None, guid_is_link: bool, link: str | None) -> str | None:
    """`Entry.key()` from the fields `_Fields.entry` makes the guid and link of."""
    if link is None and guid_is_link:
        link = guid
    if guid:
        return "g:" + guid
    if link:
        return "l:" + link
    return None


def _pending_rss_item(item: Any, feed_id: str, allowed: frozenset[str], rss1: bool) -> Pending:
    guid: str | None = item.get(_RDF_ABOUT) if rss1 else None
    guid_is_link = False
    link: str | None = None
    kinds: set[int] = set()
    for child in item:
        tag = child.tag
        kind = _RSS_KIND.get(tag) if tag in allowed else None
        if kind != _GUID and kind != _LINK:
            continue
        if kind in kinds:
            raise Declined(f"repeated {tag} in <{item.tag}>")
        kinds.add(kind)
        if len(child):
            raise Declined(f"markup inside <{tag}>")
        allowed_attrs = _ATTRS_BY_KIND.get(kind, _TEXT_ATTRS)
        for key in child.attrib:
            if key not in allowed_attrs:
                raise Declined(f"attribute {key} on <{tag}>")
        value = (child.text or "").strip()
        if not value.isascii():
            value = _finish_non_ascii(value)
        if kind == _LINK:
            link = _uri(value).replace("&amp;", "&")
            link = _LINK_REF.sub(r"&\g<1>", link) if "&" in link else link
        else:
            guid_is_link = child.get("isPermaLink", "true") == "true"
            guid = _uri(value) if guid_is_link and value else value
    return Pending(
        _entry_key(guid, guid_is_link, link),
        partial(_rss_item, item, feed_id, allowed, rss1),
    )


def _pending_atom_entry(entry: Any, feed_id: str) -> Pending:
    guid: str | None = None
    alternate: str | None = None
    for child in entry:
        tag = child.tag
        if tag == _ATOM_ID:
            if guid is not None:
                raise Declined(f"repeated {tag} in <{entry.tag}>")
            if child.attrib:
                _plain_attrs(child)
            value = _text(child)
            guid = _finish(_uri(value) if value else value)
        elif tag == _ATOM_LINK:
            alternate = _atom_alternate(child, alternate)
    return Pending(_entry_key(guid, True, alternate), partial(_atom_entry, entry, feed_id))


def _parse_rss2(
    root: Any, feed_id: str, read: Callable[[Any, frozenset[str], bool], _E]
) -> tuple[str, list[_E], int | None]:
    if root.get("version") not in (None, "2.0", "0.91", "0.92", "0.93", "0.94"):
        raise Declined(f"rss version {root.get('version')!r}")
    _plain_attrs(root, frozenset({"version"}))
    channels = list(root)
    if len(channels) != 1 or channels[0].tag != "channel":
        raise Declined("rss without exactly one channel")
    channel = channels[0]
    _plain_attrs(channel)
    title = ""
    ttl: int | None = None
    entries: list[_E] = []
    titles = ttls = 0
    for child in channel:
        tag = child.tag
        if not isinstance(tag, str) or tag not in _RSS2_CHANNEL:
            if _harmless_extension(child):
                continue
            raise Declined(f"element {tag!r} in channel")
        if tag == "item":
            entries.append(read(child, _RSS2_ITEM, False))
        elif tag == "title":
            titles += 1
            title = _rss_text(child, htmlish=False)
        elif tag == "ttl":
            ttls += 1
            raw = _finish(_text(child))
            ttl = int(raw) * 60 if raw.isdigit() else None
        elif tag in _RSS2_NESTED:
            _check_children(child, _RSS2_NESTED[tag])
            for sub in child:
                _text(sub)
        elif tag != _q(ATOM, "link") and len(child):
            raise Declined(f"markup inside <{tag}>")
    if titles > 1 or ttls > 1:
        raise Declined("repeated channel title or ttl")
    return title, entries, ttl


def _parse_rss1(
    root: Any, feed_id: str, read: Callable[[Any, frozenset[str], bool], _E]
) -> tuple[str, list[_E], int | None]:
    title = ""
    entries: list[_E] = []
    channels = 0
    for child in root:
        tag = child.tag
        if tag == _q(RSS1, "item"):
            entries.append(read(child, _RSS1_ITEM, True))
        elif tag == _q(RSS1, "channel"):
            channels += 1
            for sub in child:
                if sub.tag == _q(RSS1, "title"):
                    title = _rss_text(sub, htmlish=False)
                elif sub.tag not in (_q(RSS1, "link"), _q(RSS1, "description"),
                                     _q(RSS1, "items"), _q(RSS1, "image")):  # fmt: skip
                    raise Declined(f"element {sub.tag!r} in channel")
        elif tag == _q(RSS1, "image"):
            _check_children(child, frozenset(_q(RSS1, n) for n in ("title", "url", "link")))
        else:
            raise Declined(f"element {tag!r} in rdf:RDF")
    if channels != 1:
        raise Declined("rdf without exactly one channel")
    return title, entries, None


def _parse_atom(
    root: Any, feed_id: str, read: Callable[[Any], _E]
) -> tuple[str, list[_E], int | None]:
    _plain_attrs(root, _TEXT_ATTRS)
    title = ""
    entries: list[_E] = []
    titles = 0
    for child in root:
        tag = child.tag
        if not isinstance(tag, str) or tag not in _ATOM_FEED:
            if _harmless_extension(child):
                continue
            raise Declined(f"element {tag!r} in feed")
        local = tag[_ATOM_PREFIX:]
        if local == "entry":
            entries.append(read(child))
        elif local == "title":
            titles += 1
            title = _atom_text(child)
        elif local in ("author", "contributor"):
            _check_children(child, _PERSON)
        elif len(child):
            raise Declined(f"markup inside <{tag}>")
    if titles > 1:
        raise Declined("repeated feed title")
    return title, entries, None
