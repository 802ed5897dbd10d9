"""Entries sharing a GUID under different links go by their links, in every reading."""

from __future__ import annotations

from service.adapters.feed_parser import parse_feed, parse_feed_pending, parse_with_feedparser

FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Same</title>
<item><title>A</title><link>https://x.example/a</link><guid isPermaLink="false">same</guid>
<description>one</description></item>
<item><title>B</title><link>https://x.example/b</link><guid isPermaLink="false">same</guid>
<description>two</description></item>
<item><title>C</title><link>https://x.example/c</link><guid isPermaLink="false">own</guid>
<description>three</description></item>
</channel></rss>"""

EXPECTED = ["l:https://x.example/a", "l:https://x.example/b", "g:own"]


def test_fast_path_gives_shared_guid_entries_their_links_as_keys() -> None:
    assert [e.key() for e in parse_feed(FEED, "f").entries] == EXPECTED
    assert [e.guid for e in parse_feed(FEED, "f").entries] == [None, None, "own"]


def test_pending_reading_gives_the_same_keys_and_entries() -> None:
    pending, declined = parse_feed_pending(FEED, "f")
    assert declined is None
    assert [p.key for p in pending.entries] == EXPECTED
    assert [p.read() for p in pending.entries] == parse_feed(FEED, "f").entries


def test_feedparser_reading_gives_the_same_keys() -> None:
    assert [e.key() for e in parse_with_feedparser(FEED, "f").entries] == EXPECTED
