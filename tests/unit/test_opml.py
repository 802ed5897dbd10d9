"""OPML import: folders become tags, duplicates merge, broken files name themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.adapters.opml import OpmlError, OpmlFeed, load_opml

OPML = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "opml"


def test_nested_folders_become_tags_of_their_feeds() -> None:
    feeds = load_opml(OPML / "nested-folders.opml")
    assert feeds == [
        OpmlFeed("https://www.rt.com/rss/news/", "RT", ("News", "World")),
        OpmlFeed("https://feeds.bbci.co.uk/news/rss.xml", "BBC", ("News",)),
        OpmlFeed("https://top.example.com/feed", "Top level", ("wire", "extra")),
    ]


def test_duplicate_url_is_one_feed_with_the_tags_of_both_folders() -> None:
    feeds = load_opml(OPML / "duplicates.opml")
    assert feeds == [
        OpmlFeed("https://agency.example.com/feed", "Agency", ("Wire", "Europe")),
        OpmlFeed("https://other.example.com/rss", "Other", ("Europe",)),
    ]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("broken.opml", r"not well-formed XML at line 5, column \d+: .*body"),
        ("not-opml.opml", "root element is <rss>, not <opml>"),
        ("bad-url.opml", "xmlUrl 'file:///etc/passwd', not an http"),
        ("empty.opml", r"no feeds \(no <outline> with an xmlUrl\)"),
        ("missing.opml", "cannot read: No such file"),
    ],
)
def test_unusable_file_is_refused_naming_file_and_problem(name: str, problem: str) -> None:
    path = OPML / name
    with pytest.raises(OpmlError, match=problem) as caught:
        load_opml(path)
    assert str(caught.value).startswith(f"{path}: ")
