"""Exact fingerprints: the same item seen twice has the same keys."""

from __future__ import annotations

from service.core.entries import Entry
from service.core.fingerprints import exact_keys, normalise_url
from service.core.text import words


def test_tracking_parameters_and_www_do_not_change_the_url() -> None:
    assert normalise_url("https://www.rt.com/news/1/?utm_source=x&fbclid=y#top") == "rt.com/news/1"


def test_same_text_on_two_urls_shares_the_text_key() -> None:
    body = (
        "The mayor of Varna said on Friday that the port would reopen within days, officials said."
    )
    a = exact_keys(Entry("f", None, "https://a.com/1", "t"), words(body))
    b = exact_keys(Entry("g", None, "https://b.com/2", "t"), words(body))
    assert set(a) & set(b)
    assert a[0] != b[0]


def test_short_text_gets_no_text_key() -> None:
    assert len(exact_keys(Entry("f", "guid-1", "https://a.com/1", "t"), ["too", "short"])) == 2
