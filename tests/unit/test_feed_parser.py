"""parse_feed: the lxml fast path gives exactly what feedparser gives, or steps aside."""

from __future__ import annotations

import calendar
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedparser.datetimes import _parse_date
from feedparser.urls import resolve_relative_uris

from service.adapters.fast_feed_parser import Declined, feedparser_html, parse_date, parse_fast
from service.adapters.feed_parser import (
    FeedParseError,
    parse_feed,
    parse_feed_pending,
    parse_feed_traced,
    parse_with_feedparser,
)

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.glob("fast-*.xml")))
def test_common_feed_takes_fast_path_and_matches_feedparser(name: str) -> None:
    body = fixture(name)
    ours, declined = parse_feed_traced(body, "f1")
    assert declined is None
    assert ours == parse_with_feedparser(body, "f1")


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.glob("fallback-*.xml")))
def test_unusual_feed_is_declined_to_feedparser(name: str) -> None:
    body = fixture(name)
    ours, declined = parse_feed_traced(body, "f1")
    assert declined
    assert ours == parse_with_feedparser(body, "f1")
    assert ours.entries


@pytest.mark.parametrize(
    ("name", "message"),
    [("broken-truncated.xml", "malformed XML at line 4"), ("broken-html-page.xml", "not an RSS")],
)
def test_broken_body_is_refused_whole(name: str, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(fixture(name), "f1")


def test_rss_fields_follow_feedparser_rules() -> None:
    feed = parse_feed(fixture("fast-rss2-news.xml"), "f1", "application/rss+xml; charset=utf-8")
    first, second, third, fourth, fifth = feed.entries
    assert feed.title == "World News & Analysis"
    assert feed.ttl_seconds == 20 * 60
    assert first.guid == "urn:news:1001"
    assert (
        first.link
        == "https://news.example.com/world/ceasefire-talks?utm_source=rss&utm_medium=feed"
    )
    assert first.tags == ("World", "Diplomacy")
    assert first.published == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert first.author == "Jane Reporter"
    # A title that looks like HTML is treated as HTML, its bare ampersand escaped.
    assert second.title == "AT&amp;T <b>bold</b> move – “quoted”"
    assert second.author == "desk@news.example.com (Business Desk)"
    # A permalink guid stands in for the missing link, its extra slashes fixed.
    assert third.link == "http://news.example.com/guid-as-link"
    assert third.published == datetime(2026, 11, 24, 16, tzinfo=UTC)
    # content:encoded without a description is also the summary.
    assert fourth.summary == fourth.content
    assert fourth.published is None
    # UTF-8 read as Latin-1 is repaired; a C1 control becomes its cp1252 character.
    assert fifth.title == "Café reopens"
    assert fifth.summary == "Menu – prices <b>up</b> at the CafÃ©"


def test_atom_fields_follow_feedparser_rules() -> None:
    feed = parse_feed(fixture("fast-atom-blog.xml"), "f1", "application/atom+xml")
    first, second, third = feed.entries
    assert feed.title == "Example &lt;Blog&gt;"
    assert first.link == "https://blog.example.com/2026/11/nato"
    assert first.author == "Ann Author (ann@example.com)"
    assert first.tags == ("defence", "europe")
    assert first.published == datetime(2026, 11, 24, 8, 15, 30, tzinfo=UTC)
    assert second.link == second.guid == "https://blog.example.com/2026/11/id-only"
    assert second.summary == "<p>Content only: copied to summary.</p>"
    assert third.title == "Plain <title> stays text"
    assert third.summary == "<p>Summary before content</p>"


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("text/plain", "content type"),
        ("text/xml", "content type"),
        ("application/rss+xml; charset=iso-8859-1", "charset"),
    ],
)
def test_content_type_the_fast_path_cannot_vouch_for_is_declined(
    content_type: str, reason: str
) -> None:
    body = fixture("fast-rss2-news.xml")
    with pytest.raises(Declined, match=reason):
        parse_fast(body, "f1", content_type)
    ours, declined = parse_feed_traced(body, "f1", content_type)
    assert declined is not None
    assert ours == parse_with_feedparser(body, "f1", content_type)


# ---------------------------------------------------------------- HTML rewrite

TRICKY_HTML = [
    "plain text",
    "<p>para</p>",
    "<br><br/><br /></br>",
    '<IMG SRC=" a.jpg " Alt="x" width=640>',
    '<a href="/x?a=1&b=2" rel="NoFollow">x</a>',
    '<a title="a &amp; b" href="y">',
    "&nbsp;&bogus;&#150;&#x2014;&#X41;&#39;&#34;",
    "fish & chips & co",
    "a < b > c",
    "<!-- comment --><p>x</p>",
    "<p/><x:y/><div/>",
    '<a href="x"/><img src="y"/>',
    '<a title="x>y">',
    '<div class="a" class="b">',
    "<input disabled>",
    "unclosed <p",
    "<script>if (a<b) x()</script>",
    '<a href=" spaced ">x</a><span title=" kept ">y</span><p class="">',
    '<a href="https://example.com/a b">ok</a><a rel="Tag">t</a><img src="x">',
]


@pytest.mark.parametrize("markup", TRICKY_HTML)
def test_html_rewrite_matches_feedparser_resolver(markup: str) -> None:
    assert feedparser_html(markup) == resolve_relative_uris(markup, "", None, "text/html")


def test_html_rewrite_matches_feedparser_resolver_on_random_markup() -> None:
    pieces = [
        *TRICKY_HTML,
        "<p>", "</p>", "<a HREF='q'>", "</a>", "<span style=\"c:d\">", "&amp;", "&", "<",
        ">", '"', "'", "é", "\u0096", "“", "<td colspan=2>", "&a.b;", "&a_b;", "<a b>",
        '<a b="1"c="2">', "</ p>", "<p a=b>", "&#0150;", "<hr   />",
    ]  # fmt: skip
    rng = random.Random(20261125)
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        expected = resolve_relative_uris(markup, "", None, "text/html")
        assert feedparser_html(markup) == expected, markup


# ------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 24 Nov 2026 18:30:00 +0100",
        "Tue, 24 Nov 2026 18:30:00 GMT",
        "24 Nov 2026 18:30:00 -0830",
        "Tue, 4 Nov 2026 08:00:00 UT",
        "Mon, 29 Feb 2027 10:00:00 GMT",
        "Tue, 24 Nov 2026 24:00:00 GMT",
        "2026-11-24T10:15:30Z",
        "2026-11-24T10:15:30.5+02:00",
        "2026-11-24T10:15:30-05:30",
        "2026-11-24",
        "2026-02-30T10:00:00Z",
        "Tue, 24 Nov 2026 18:30 EST",
        "24/11/2026",
        "",
    ],
)
def test_dates_match_feedparser(value: str) -> None:
    struct = _parse_date(value)
    expected = datetime.fromtimestamp(calendar.timegm(struct), tz=UTC) if struct else None
    assert parse_date(value) == expected


def test_parsing_in_several_threads_gives_the_same_entries() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from service.adapters.fast_feed_parser import _REWRITER

    bodies = [fixture(p.name) for p in sorted(FEEDS.glob("fast-*.xml"))] * 30
    expected = [parse_with_feedparser(b, "f1") for b in bodies]
    _REWRITER.tags.clear()
    _REWRITER.cache.clear()
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda b: parse_feed(b, "f1"), bodies))
    assert got == expected


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.glob("fast-*.xml")))
def test_pending_entries_have_the_keys_and_text_of_the_full_reading(name: str) -> None:
    body = fixture(name)
    full = parse_feed(body, "f1")
    pending, declined = parse_feed_pending(body, "f1")
    assert declined is None
    assert (pending.title, pending.ttl_seconds) == (full.title, full.ttl_seconds)
    assert [p.key for p in pending.entries] == [e.key() for e in full.entries]
    assert [p.read() for p in pending.entries] == full.entries


def test_pending_atom_key_takes_the_last_alternate_link_and_hash_when_there_is_none() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title>
  <link rel="alternate" type="text/html" href="https://x.example/first"/>
  <link rel="related" href="https://x.example/other"/>
  <link href="https://x.example/last"/>
  <summary>s</summary></entry>
<entry><title>no id, no link</title><summary>only text</summary></entry>
</feed>"""
    full = parse_feed(body, "f1")
    pending, _ = parse_feed_pending(body, "f1")
    assert [p.key for p in pending.entries] == [e.key() for e in full.entries]
    assert pending.entries[0].key == "l:https://x.example/last"
    assert pending.entries[1].key is not None
    assert pending.entries[1].key.startswith("h:")


def test_pending_entry_the_fast_path_cannot_read_declines_only_when_read() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>new</title><guid>https://x.example/2</guid><category></category></item>
<item><title>old</title><guid>https://x.example/1</guid></item></channel></rss>"""
    with pytest.raises(Declined):
        parse_fast(body, "f1")
    pending, declined = parse_feed_pending(body, "f1")
    assert declined is None
    assert [p.key for p in pending.entries] == ["g:https://x.example/2", "g:https://x.example/1"]
    assert pending.entries[1].read().title == "old"
    with pytest.raises(Declined, match="empty category"):
        pending.entries[0].read()


def test_declined_feed_comes_pending_with_feedparser_entries_ready() -> None:
    body = fixture("fallback-latin1.xml")  # declined as a whole: not UTF-8
    reference = parse_with_feedparser(body, "f1")
    pending, declined = parse_feed_pending(body, "f1")
    assert declined is not None
    assert [p.read() for p in pending.entries] == reference.entries
    assert [p.key for p in pending.entries] == [e.key() for e in reference.entries]
