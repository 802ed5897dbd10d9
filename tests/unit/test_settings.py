from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import ConfigError, load_settings, parse_settings

GOOD = """
redis_url: ${REDIS_URL:-}
feeds:
  - {url: "https://www.rt.com/rss/news/", name: rt, tags: [wire]}
destinations:
  ops-slack: {type: slack, url: "${SLACK_WEBHOOK_URL:-}"}
  siem: {type: webhook, url: "${SIEM_URL}", secret: "${SIEM_SECRET}"}
rules:
  - {name: ceasefire, query: 'ceasefire OR "cease-fire" OR truce', notify: [ops-slack]}
  - {name: nato, query: NATO, notify: [ops-slack, siem], feeds: [rt]}
"""
ENV = {
    "SIEM_URL": "https://siem.example/hook",
    "SIEM_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


def test_variables_come_from_the_environment_with_defaults() -> None:
    settings = parse_settings(GOOD, ENV)
    assert settings.redis_url is None
    assert settings.destinations["ops-slack"].enabled is False
    siem = settings.destinations["siem"]
    assert siem.enabled
    assert siem.url is not None
    assert siem.url.get_secret_value() == "https://siem.example/hook"


def test_durations_accept_units() -> None:
    settings = parse_settings(
        "polling: {interval: 5m, total_timeout: 1500ms}\nstories: {window: 3d}", {}
    )
    assert settings.polling.interval == 300
    assert settings.polling.total_timeout == 1.5
    assert settings.stories.window == 3 * 86400


BROKEN = """
redis_url: ftp://nope
feeds:
  - url: not-a-url
  - {url: "https://a.example/rss", backfill: -1}
  - {url: "https://a.example/rss"}
destinations:
  siem: {type: webhook, url: "${SIEM_URL}", secret: "not-whsec"}
  pager: {type: pager}
rules:
  - {name: ceasefire, query: 'ceasefire OR "cease-fire', notify: [siem]}
  - {name: nato, query: NATO, notify: [nowhere]}
  - {name: nato, query: "(NATO", notify: [siem]}
"""


def test_a_broken_config_lists_every_error_with_its_key_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(BROKEN, {})
    errors = caught.value.errors
    expected = [
        "destinations.siem.url: environment variable SIEM_URL is not set",
        "redis_url: must start with redis://, rediss:// or unix://",
        "feeds[0].url: must be an http:// or https:// URL",
        "feeds[1].backfill: Input should be greater than or equal to 0",
        "destinations.siem: a signing secret must start with 'whsec_'",
        "destinations.pager.type: Input should be 'console', 'slack', 'webhook', 'discord' "
        "or 'teams'",
        "rules[0].query: unbalanced quote at column 14",
        "rules[2].query: unclosed parenthesis at column 1",
        "feeds[2].url: the same URL as feeds[1]",
        "rules[1].notify[0]: unknown destination 'nowhere'",
        "rules[2].name: the same name as rules[1]",
    ]
    assert errors == expected


def test_cross_references_of_a_well_formed_config() -> None:
    config = """
feeds:
  - {url: "https://a.example/rss"}
  - {url: "https://a.example/rss"}
destinations: {c: {type: console}}
rules:
  - {name: a, query: NATO, notify: [c, nowhere]}
  - {name: a, query: NATO, notify: [c], feeds: [missing]}
"""
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, {})
    assert caught.value.errors == [
        "feeds[1].url: the same URL as feeds[0]",
        "rules[0].notify[1]: unknown destination 'nowhere'",
        "rules[1].name: the same name as rules[0]",
        "rules[1].feeds[0]: no feed has this name or URL",
    ]


def test_cross_references_are_listed_beside_shape_errors() -> None:
    # One run lists everything: a bad duration, a bad query, and the same rule's
    # unknown destination, which pydantic alone would hide until the rest is fixed.
    config = """
polling: {interval: 5 minutes}
feeds:
  - {url: "https://a.example/rss", name: a}
  - {url: "https://a.example/rss", backfill: -1}
destinations: {c: {type: console}, broken: {type: pager}}
rules:
  - {name: a, query: 'ceasefire "oops', notify: [nope]}
  - {name: a, query: NATO, notify: [c, broken], feeds: [a, missing]}
  - not a rule
"""
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, {})
    errors = caught.value.errors
    assert "rules[0].query: unbalanced quote at column 11" in errors
    assert any(e.startswith("polling.interval: ") for e in errors)
    assert any(e.startswith("destinations.broken.type: ") for e in errors)
    assert errors[-4:] == [
        "feeds[1].url: the same URL as feeds[0]",
        "rules[0].notify[0]: unknown destination 'nope'",
        "rules[1].name: the same name as rules[0]",
        "rules[1].feeds[1]: no feed has this name or URL",
    ]


def test_feed_references_are_not_guessed_when_an_opml_list_is_unread() -> None:
    config = """
polling: {interval: soon}
feeds:
  - {opml: feeds.opml}
destinations: {c: {type: console}}
rules:
  - {name: a, query: NATO, notify: [c], feeds: [listed-in-the-opml]}
"""
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, {})
    assert [e for e in caught.value.errors if e.startswith("rules")] == []


def test_errors_never_echo_secret_values() -> None:
    config = 'destinations: {s: {type: webhook, url: "https://x.example/h", secret: "sup3rs3cret"}}'
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, {})
    assert "sup3rs3cret" not in str(caught.value)


def test_yaml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings("feeds: [\n  {url: x\n", {})
    assert caught.value.errors[0].startswith("(yaml) at line")


def test_a_config_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "feedwatch.yaml"
    path.write_bytes(b"log_level: info\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert caught.value.errors == ["(file): not UTF-8 text: byte 21 cannot be read"]


def test_a_rule_scoped_to_a_tag_no_feed_has_is_refused() -> None:
    config = """
feeds:
  - {url: "https://a.example/rss", tags: [Wire]}
destinations: {c: {type: console}}
rules:
  - {name: a, query: NATO, notify: [c], tags: [wire]}
  - {name: b, query: NATO, notify: [c], tags: [wire, nosuchtag]}
"""
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, {})
    assert caught.value.errors == ["rules[1].tags[1]: no feed has this tag"]
