"""The console line: one line, safe for a terminal."""

from __future__ import annotations

import pytest

from service.core.alerts import Alert
from service.core.formatting.console import console_line
from tests.unit.test_formatting_cases import HOSTILE, make_alert


def test_console_line_names_rules_title_outlets_link_terms_and_id() -> None:
    alert = make_alert()
    assert console_line(alert) == (
        "ALERT [ceasefire] Ceasefire agreed after talks in Doha — rt.com, example.org — "
        f"https://www.rt.com/news/123-ceasefire/ (matched: ceasefire) id={alert.delivery_id}"
    )


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_console_line_is_one_bounded_line_without_control_characters(alert: Alert) -> None:
    line = console_line(alert)
    assert "\n" not in line
    assert "\r" not in line
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in line)
    assert len(line) < 1200
