"""Hostile alerts shared by the format tests, and what holds for every format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from service.core.alerts import Alert, Copy, delivery_id_for
from service.core.formatting.console import console_line
from service.core.formatting.discord import discord_message
from service.core.formatting.serialise import encode_json
from service.core.formatting.slack import slack_message
from service.core.formatting.teams import teams_message
from service.core.formatting.webhook import webhook_payload

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def make_alert(**overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "delivery_id": delivery_id_for("story-1", "ops"),
        "story_id": "story-1",
        "destination": "ops",
        "title": "Ceasefire agreed after talks in Doha",
        "link": "https://www.rt.com/news/123-ceasefire/",
        "snippet": "A ceasefire was agreed on Tuesday, NATO officials said.",
        "outlets": ("rt.com", "example.org"),
        "rules": ("ceasefire",),
        "matched_terms": ("ceasefire",),
        "published": T0,
        "first_seen": T0,
        "copies": (
            Copy("rt.com", "https://www.rt.com/news/123-ceasefire/", T0),
            Copy("example.org", "https://example.org/a", T0, "courtesy of rt.com"),
        ),
    }
    fields.update(overrides)
    return Alert(**fields)


CYRILLIC = "Перемирие согласовано после переговоров в Дохе; НАТО приветствует решение. "
EMOJI = "👩‍👩‍👧‍👦🇺🇦👍🏽é́ "  # ZWJ family, a flag, a skin tone, stacked accents
MARKUP = "*bold* _it_ ~s~ `code` <!channel> <@U123> @everyone [x](http://e) # h > q & &amp; "

HOSTILE: dict[str, Alert] = {
    "plain": make_alert(),
    "huge_title": make_alert(title="Ceasefire " * 5000),
    "huge_snippet": make_alert(snippet="ceasefire talks continue " * 20000),
    "one_giant_word": make_alert(title="x" * 100_000, snippet="y" * 100_000),
    "markup_everywhere": make_alert(
        title=MARKUP * 50,
        snippet=MARKUP * 500,
        outlets=tuple(MARKUP for _ in range(5)),
        rules=("a*b", "<script>"),
        matched_terms=("&amp;", "`"),
    ),
    "entities_at_every_cut": make_alert(title="&" * 1000, snippet="<>&" * 5000),
    "emoji_and_astral": make_alert(title=EMOJI * 200, snippet=EMOJI * 3000),
    "cyrillic": make_alert(
        title=CYRILLIC * 10,
        snippet=CYRILLIC * 300,
        outlets=("ria.ru", "тасс.рф"),
        matched_terms=("перемирие",),
    ),
    "many_outlets": make_alert(
        outlets=tuple(f"outlet-{i}.example.com" for i in range(2000)),
        rules=tuple(f"rule-{i}" for i in range(500)),
        matched_terms=tuple(f"term {i}" for i in range(500)),
    ),
    "controls_and_surrogates": make_alert(
        title="bad\x00title\x1b[31m red \ud800 \u202e reversed\r\nline",
        snippet="\x07bell\ud83d and more\x1b]0;pwned\x07" * 100,
    ),
    "empty_everything": make_alert(
        title="", snippet="", outlets=(), rules=(), matched_terms=(), link=None, published=None
    ),
    "whitespace_only": make_alert(title=" \n\t ", snippet="\n\n   \n"),
    "bad_links": make_alert(link="javascript:alert(1)"),
    "huge_link": make_alert(link="https://example.com/" + "a" * 10_000),
    "link_with_markup_characters": make_alert(link="https://e.com/a?x=1&y=<2>|z"),
    "naive_published_time": make_alert(published=datetime(2026, 11, 25, 3, 0)),
}

Format = Callable[[Alert], Any]
FORMATS: dict[str, Format] = {
    "slack": slack_message,
    "discord": discord_message,
    "teams": teams_message,
    "webhook": lambda a: webhook_payload(a, T0),
    "console": console_line,
}


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_format_encodes_any_alert_as_strict_utf8_json(fmt: Format, alert: Alert) -> None:
    payload = fmt(alert)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    assert json.loads(body) == payload
    assert (
        encode_json(payload)
        == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    )


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
def test_every_format_is_deterministic(fmt: Format) -> None:
    alert = HOSTILE["markup_everywhere"]
    assert fmt(alert) == fmt(alert)


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
def test_no_format_passes_terminal_escapes_or_nul(fmt: Format) -> None:
    text = json.dumps(fmt(HOSTILE["controls_and_surrogates"]), ensure_ascii=False)
    for bad in ("\\u0000", "\\u001b", "\\u0007", "\\ud800", "\\u202e"):
        assert bad not in text
