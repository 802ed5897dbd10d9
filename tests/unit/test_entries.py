from __future__ import annotations

import pytest

from service.core.entries import loggable_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.rt.com/rss/news/", "https://www.rt.com/rss/news/"),
        ("https://feeds.example/rss?key=s3cr3t&lang=en", "https://feeds.example/rss?key=…&lang=…"),
        ("https://user:pa55@feeds.example:8443/x.xml", "https://feeds.example:8443/x.xml"),
        ("https://feeds.example/rss#frag", "https://feeds.example/rss"),
        (None, ""),
    ],
    ids=["plain", "query_values_masked", "credentials_dropped", "fragment_dropped", "none"],
)
def test_loggable_url_keeps_where_and_drops_secrets(url: str | None, expected: str) -> None:
    assert loggable_url(url) == expected
