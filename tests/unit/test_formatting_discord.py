"""Discord embeds: within every embed limit, never pinging, markdown escaped."""

from __future__ import annotations

from typing import Any

import pytest

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.discord import discord_message, discord_url, embed_size
from service.core.formatting.markup import units
from tests.unit.test_formatting_cases import HOSTILE, make_alert


def _embed(message: dict[str, Any]) -> dict[str, Any]:
    assert len(message["embeds"]) == 1
    embed: dict[str, Any] = message["embeds"][0]
    return embed


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_embed_is_within_discord_limits(alert: Alert) -> None:
    embed = _embed(discord_message(alert))
    assert 0 < units(embed["title"]) <= limits.DISCORD_TITLE_MAX
    assert units(embed.get("description", "")) <= limits.DISCORD_DESCRIPTION_MAX
    assert len(embed["fields"]) <= limits.DISCORD_FIELDS_MAX
    for field in embed["fields"]:
        assert 0 < units(field["name"]) <= limits.DISCORD_FIELD_NAME_MAX
        assert 0 < units(field["value"]) <= limits.DISCORD_FIELD_VALUE_MAX
    assert units(embed["footer"]["text"]) <= limits.DISCORD_FOOTER_MAX
    assert embed_size(embed) <= limits.DISCORD_EMBED_TOTAL_MAX
    if "url" in embed:
        assert embed["url"].startswith(("http://", "https://"))


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_no_alert_can_ping_anyone(alert: Alert) -> None:
    message = discord_message(alert)
    assert message["allowed_mentions"] == {"parse": []}
    assert "content" not in message


def test_embed_names_story_outlets_rules_and_terms() -> None:
    embed = _embed(discord_message(make_alert()))
    assert embed["title"] == "Ceasefire agreed after talks in Doha"
    assert embed["url"] == "https://www.rt.com/news/123-ceasefire/"
    assert embed["description"] == "A **ceasefire** was agreed on Tuesday, NATO officials said."
    assert embed["timestamp"] == "2026-11-25T03:00:00Z"
    assert embed["fields"] == [
        {"name": "Outlets", "value": "rt.com, example.org", "inline": False},
        {"name": "Rules", "value": "ceasefire", "inline": True},
        {"name": "Matched", "value": "ceasefire", "inline": True},
    ]
    assert embed["footer"]["text"].startswith("feedwatch · msg_")


def test_user_markdown_is_escaped() -> None:
    embed = _embed(
        discord_message(make_alert(title="**Big** _news_", snippet="@everyone <@1> `x`"))
    )
    assert embed["title"] == r"\*\*Big\*\* \_news\_"
    assert embed["description"] == r"@everyone \<@1\> \`x\`"


def test_huge_snippet_fills_the_description_up_to_its_limit() -> None:
    embed = _embed(discord_message(HOSTILE["huge_snippet"]))
    assert embed["description"].endswith("…")
    assert units(embed["description"]) >= limits.DISCORD_DESCRIPTION_MAX - 30


def test_description_shrinks_so_the_whole_embed_stays_under_6000() -> None:
    embed = _embed(discord_message(_everything_huge()))
    assert embed_size(embed) <= limits.DISCORD_EMBED_TOTAL_MAX
    assert embed["description"].endswith("…")


def _everything_huge() -> Alert:
    return make_alert(
        title="T" * 10_000,
        snippet="word " * 10_000,
        outlets=tuple("o" * 300 for _ in range(100)),
        rules=tuple("r" * 300 for _ in range(100)),
        matched_terms=tuple("m" * 300 for _ in range(100)),
    )


def test_empty_lists_leave_no_empty_fields() -> None:
    embed = _embed(discord_message(HOSTILE["empty_everything"]))
    assert embed["fields"] == []
    assert "description" not in embed
    assert "url" not in embed
    assert "timestamp" not in embed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://discord.com/api/webhooks/1/tok",
            "https://discord.com/api/webhooks/1/tok?wait=true",
        ),
        (
            "https://discord.com/api/webhooks/1/tok?thread_id=9",
            "https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true",
        ),
        (
            "https://discord.com/api/webhooks/1/tok?wait=false&thread_id=9",
            "https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true",
        ),
    ],
    ids=["no_query", "keeps_thread_id", "replaces_wait"],
)
def test_discord_url_asks_to_wait(url: str, expected: str) -> None:
    assert discord_url(url) == expected
