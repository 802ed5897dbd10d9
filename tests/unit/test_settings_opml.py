"""`feeds: - opml: FILE`: an OPML list's feeds join the plain ones, tagged by folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.settings import ConfigError, load_settings, parse_settings

OPML = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "opml"


def _config(tmp_path: Path, text: str, *opml: str) -> Path:
    (tmp_path / "lists").mkdir()
    for name in opml:
        shutil.copy(OPML / name, tmp_path / "lists" / name)
    path = tmp_path / "feedwatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_opml_feeds_are_added_with_folder_tags_and_the_entry_tags(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "feeds:\n  - {url: 'https://plain.example/rss'}\n"
        "  - {opml: lists/nested-folders.opml, tags: [imported], backfill: 2}\n",
        "nested-folders.opml",
    )
    settings = load_settings(path, {})
    feeds = {f.url: f for f in settings.feed_list}
    assert list(feeds) == [
        "https://plain.example/rss",
        "https://www.rt.com/rss/news/",
        "https://feeds.bbci.co.uk/news/rss.xml",
        "https://top.example.com/feed",
    ]
    assert feeds["https://www.rt.com/rss/news/"].tags == ("News", "World", "imported")
    assert feeds["https://top.example.com/feed"].tags == ("wire", "extra", "imported")
    assert feeds["https://feeds.bbci.co.uk/news/rss.xml"].backfill == 2


def test_a_url_both_plain_and_in_opml_is_one_feed_keeping_its_plain_settings(
    tmp_path: Path,
) -> None:
    path = _config(
        tmp_path,
        "feeds:\n  - {url: 'https://agency.example.com/feed', name: agency, tags: [mine],"
        " interval: 2m}\n  - {opml: lists/duplicates.opml}\n",
        "duplicates.opml",
    )
    settings = load_settings(path, {})
    agency = [f for f in settings.feed_list if f.url == "https://agency.example.com/feed"]
    assert len(agency) == 1
    assert agency[0].name == "agency"
    assert agency[0].interval == 120
    assert agency[0].tags == ("mine", "Wire", "Europe")
    assert len(settings.feed_list) == 2


def test_a_broken_opml_file_is_an_error_naming_its_entry(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "feeds:\n  - {url: 'https://plain.example/rss'}\n  - {opml: lists/broken.opml}\n"
        "  - {opml: lists/missing.opml}\n",
        "broken.opml",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    errors = caught.value.errors
    assert len(errors) == 2
    assert errors[0].startswith("feeds[1].opml: ")
    assert "not well-formed XML" in errors[0]
    assert errors[1].startswith("feeds[2].opml: ")
    assert "cannot read" in errors[1]


def test_polling_bounds_and_politeness_are_read_with_units() -> None:
    settings = parse_settings(
        "polling: {min_interval: 2m, max_interval: 12h, per_host_spacing: 500ms,"
        " per_host_concurrency: 3, max_queue: 100}\n"
        "feeds:\n  - {url: 'https://a.example/rss', min_interval: 1m, max_interval: 1h}\n",
        {},
    )
    assert settings.polling.min_interval == 120
    assert settings.polling.max_interval == 12 * 3600
    assert settings.polling.per_host_spacing == 0.5
    assert settings.polling.per_host_concurrency == 3
    assert settings.polling.max_queue == 100
    assert settings.feed_list[0].min_interval == 60
    assert settings.feed_list[0].max_interval == 3600


def test_max_interval_below_min_interval_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings("polling: {min_interval: 1h, max_interval: 10m}", {})
    assert caught.value.errors == ["polling: max_interval must not be below min_interval"]


def test_a_rule_may_name_a_feed_that_only_an_opml_list_brings(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "feeds:\n  - {opml: lists/nested-folders.opml}\n"
        "destinations: {c: {type: console}}\n"
        "rules:\n  - {name: rt, query: NATO, notify: [c], feeds: ['https://www.rt.com/rss/news/']}\n"
        "  - {name: nowhere, query: NATO, notify: [c], feeds: ['https://missing.example/rss']}\n",
        "nested-folders.opml",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert caught.value.errors == ["rules[1].feeds[0]: no feed has this name or URL"]
