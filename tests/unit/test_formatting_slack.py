"""Slack Block Kit messages: valid for slack_sdk's models and within limits, whatever the input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.markup import units
from service.core.formatting.slack import slack_message
from tests.unit.test_formatting_cases import HOSTILE, make_alert


def _blocks(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["type"]: b for b in message["blocks"]}


def _section(message: dict[str, Any]) -> str:
    text: str = _blocks(message)["section"]["text"]["text"]
    return text


def _context(message: dict[str, Any]) -> str:
    text: str = _blocks(message)["context"]["elements"][0]["text"]
    return text


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_slack_sdk_accepts_every_block_of_any_alert(alert: Alert) -> None:
    message = slack_message(alert)
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_text_is_non_empty_and_within_slack_limits(alert: Alert) -> None:
    message = slack_message(alert)
    header = _blocks(message)["header"]["text"]["text"]
    assert 0 < units(header) <= limits.SLACK_HEADER_MAX
    assert "\n" not in header
    assert 0 < units(_section(message)) <= limits.SLACK_SECTION_MAX
    assert 0 < units(_context(message)) <= limits.SLACK_CONTEXT_MAX
    assert 0 < units(message["text"]) <= limits.SLACK_FALLBACK_MAX


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_only_our_own_links_and_dates_open_angle_brackets(alert: Alert) -> None:
    message = slack_message(alert)
    for text in (_section(message), _context(message), message["text"]):
        for opened in re.finditer("<", text):
            assert text.startswith(("<http", "<!date^"), opened.start())
        assert text.count("<") == text.count(">")


def test_title_is_linked_and_snippet_follows_with_matched_terms_in_bold() -> None:
    message = slack_message(make_alert())
    assert _section(message) == (
        "*<https://www.rt.com/news/123-ceasefire/|Ceasefire agreed after talks in Doha>*\n"
        "A *ceasefire* was agreed on Tuesday, NATO officials said."
    )


def test_explicit_highlights_override_the_matched_terms() -> None:
    alert = make_alert()
    nato = alert.snippet.index("NATO")
    section = _section(slack_message(alert, highlights=[(nato, nato + 4)]))
    assert section.endswith("A ceasefire was agreed on Tuesday, *NATO* officials said.")


def test_context_names_outlets_local_time_rules_and_terms() -> None:
    context = _context(slack_message(make_alert()))
    assert context == (
        "Outlets: rt.com, example.org · "
        "Published <!date^1795575600^{date_short_pretty} {time}|2026-11-25 03:00 UTC> · "
        "Rules: ceasefire · Matched: ceasefire"
    )


def test_fallback_text_names_title_and_outlets() -> None:
    assert slack_message(make_alert())["text"] == (
        "Ceasefire agreed after talks in Doha (rt.com, example.org)"
    )


def test_user_markup_is_escaped_in_mrkdwn() -> None:
    message = slack_message(make_alert(title="A & B <c>", snippet="x <!here> & y"))
    assert "A &amp; B &lt;c&gt;" in _section(message)
    assert "x &lt;!here&gt; &amp; y" in _section(message)
    assert _blocks(message)["header"]["text"]["text"] == "A & B <c>"


def test_a_link_holding_mrkdwn_control_characters_cannot_break_out() -> None:
    section = _section(slack_message(make_alert(link="https://e.com/a?x=1&y=<2>|z")))
    assert section.startswith("*<https://e.com/a?x=1&amp;y=%3C2%3E%7Cz|")


@pytest.mark.parametrize("link", [None, "javascript:alert(1)", "https://e.com/" + "a" * 5000])
def test_an_unusable_link_leaves_the_title_unlinked(link: str | None) -> None:
    section = _section(slack_message(make_alert(link=link)))
    assert section.startswith("*Ceasefire agreed after talks in Doha*\n")


def test_huge_title_is_cut_with_an_ellipsis_in_header_and_section() -> None:
    message = slack_message(HOSTILE["huge_title"])
    assert _blocks(message)["header"]["text"]["text"].endswith("…")
    first_line = _section(message).split("\n")[0]
    assert first_line.endswith("…>*")


def test_many_outlets_are_counted_not_listed() -> None:
    context = _context(slack_message(HOSTILE["many_outlets"]))
    assert "more" in context
    assert "outlet-0.example.com" in context


def test_untitled_story_gets_a_placeholder_header() -> None:
    message = slack_message(HOSTILE["empty_everything"])
    assert _blocks(message)["header"]["text"]["text"] == "(untitled story)"
    assert _section(message) == "*(untitled story)*"
