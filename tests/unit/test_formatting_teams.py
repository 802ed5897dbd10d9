"""Teams Workflows messages: the envelope, an Adaptive Card 1.4, under 28 KB."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.serialise import encode_json
from service.core.formatting.teams import teams_message
from tests.unit.test_formatting_cases import HOSTILE, make_alert


def _card(message: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = message["attachments"][0]["content"]
    return card


def _texts(block: dict[str, Any]) -> str:
    return "".join(run["text"] for run in block["inlines"])


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_envelope_holds_one_adaptive_card(alert: Alert) -> None:
    message = teams_message(alert)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    for block in card["body"]:
        assert block["type"] == "RichTextBlock"
        assert block["inlines"]
        for run in block["inlines"]:
            assert run["type"] == "TextRun"
            assert run["text"]
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"
        assert action["url"].startswith(("http://", "https://"))


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_serialised_message_is_under_28_kb_however_it_is_encoded(alert: Alert) -> None:
    message = teams_message(alert)
    assert len(encode_json(message)) < limits.TEAMS_MESSAGE_MAX_BYTES
    assert len(encode_json(message, ascii_only=True)) < limits.TEAMS_MESSAGE_MAX_BYTES
    assert len(json.dumps(message).encode()) < limits.TEAMS_MESSAGE_MAX_BYTES


def test_card_shows_title_snippet_with_bold_terms_context_and_a_link() -> None:
    card = _card(teams_message(make_alert()))
    title, snippet, context = card["body"]
    assert title["inlines"] == [
        {
            "type": "TextRun",
            "text": "Ceasefire agreed after talks in Doha",
            "size": "Large",
            "weight": "Bolder",
        }
    ]
    assert snippet["inlines"] == [
        {"type": "TextRun", "text": "A "},
        {"type": "TextRun", "text": "ceasefire", "weight": "Bolder"},
        {"type": "TextRun", "text": " was agreed on Tuesday, NATO officials said."},
    ]
    assert _texts(context) == (
        "Outlets: rt.com, example.org · Published 2026-11-25 03:00 UTC · "
        "Rules: ceasefire · Matched: ceasefire"
    )
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open story",
            "url": "https://www.rt.com/news/123-ceasefire/",
        }
    ]


def test_user_markup_is_left_verbatim_in_text_runs() -> None:
    card = _card(teams_message(make_alert(title="**x** [y](z)", snippet="_a_ <b>")))
    assert _texts(card["body"][0]) == "**x** [y](z)"
    assert _texts(card["body"][1]) == "_a_ <b>"


def test_astral_heavy_card_shrinks_its_snippet_until_the_ascii_encoding_fits() -> None:
    emoji = "👍🏽"
    alert = make_alert(
        title=emoji * 1000,
        snippet=emoji * 5000,
        outlets=(emoji * 400,) * 3,
        rules=(emoji * 400,) * 3,
        matched_terms=(emoji * 400,) * 3,
    )
    message = teams_message(alert)
    snippet = _texts(_card(message)["body"][1])
    assert snippet.endswith("…")
    assert len(snippet) < limits.TEAMS_SNIPPET_MAX // 2
    assert len(encode_json(message, ascii_only=True)) < limits.TEAMS_MESSAGE_MAX_BYTES


def test_no_link_means_no_action() -> None:
    assert "actions" not in _card(teams_message(make_alert(link=None)))
