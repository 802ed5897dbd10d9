"""Boilerplate that differs between copies of one story is removed before fingerprinting."""

from __future__ import annotations

import pytest

from service.core.boilerplate import (
    drop_sentences,
    edge_sentences,
    sentence_key,
    strip_boilerplate,
)
from service.core.text import plain_text


@pytest.mark.parametrize(
    ("raw", "text", "credits"),
    [
        ("MOSCOW (AP) — Talks resumed on Tuesday.", "Talks resumed on Tuesday.", "AP"),
        ("LONDON, Nov 24 (Reuters) - Shares fell.", "Shares fell.", "Reuters"),
        ("(Reuters) - Shares fell.", "Shares fell.", "Reuters"),
        ("KYIV, Ukraine — Drones hit the grid.", "Drones hit the grid.", None),
        ("МОСКВА, 25 ноября. /ТАСС/. Президент заявил.", "Президент заявил.", "ТАСС"),
        ("ОДЕСА - Укрінформ. Влада заявила.", "Влада заявила.", "Укрінформ"),
        ("By Jane Doe, Associated Press\nTalks resumed.", "Talks resumed.", None),
        ("Talks resumed.\nRelated: Five things to know", "Talks resumed.", None),
        ("Talks resumed.\nЧитайте также: главное к этому часу", "Talks resumed.", None),
        (
            "Talks resumed.\nCopyright 2026 The Associated Press. All rights reserved.",
            "Talks resumed.",
            None,
        ),
        (
            "Talks resumed.\nThe post Talks resume appeared first on Evening Ledger.",
            "Talks resumed.",
            "Evening Ledger",
        ),
        ("Officials said talks would resume …", "Officials said talks would resume", None),
    ],
)
def test_boilerplate_is_stripped_and_credit_found(raw: str, text: str, credits: str | None) -> None:
    stripped = strip_boilerplate(plain_text(raw))
    assert stripped.text == text
    assert stripped.credits == credits


def test_courtesy_footer_is_stripped_and_credits_the_outlet() -> None:
    raw = (
        "<p>The mayor of Varna said the port would reopen on Friday.</p>"
        "<p>This content is courtesy of, and owned and copyrighted by, https://www.rt.com and "
        "its author. This content is made available by use of the public RSS feed.</p>"
    )
    stripped = strip_boilerplate(plain_text(raw))
    assert stripped.text == "The mayor of Varna said the port would reopen on Friday."
    assert stripped.credits == "rt.com"


def test_a_body_line_that_starts_with_by_is_kept() -> None:
    text = "By Tuesday, officials had agreed to resume the talks in full."
    assert strip_boilerplate(text).text == text


def test_sentences_an_outlet_repeats_are_dropped() -> None:
    text = "Talks resumed in Varna.\nThe port stays shut.\nFollow Daily Bulletin on Telegram now."
    sign_off = sentence_key("dailybulletin.net", "Follow Daily Bulletin on Telegram now.")
    assert sign_off in {sentence_key("dailybulletin.net", s) for s in edge_sentences(text)}
    kept = drop_sentences(text, "dailybulletin.net", {sign_off})
    assert kept == "Talks resumed in Varna.\nThe port stays shut."


def test_sentence_keys_are_per_outlet() -> None:
    assert sentence_key("a.com", "Follow us on Telegram.") != sentence_key(
        "b.com", "Follow us on Telegram."
    )
