from __future__ import annotations

import time
from datetime import UTC, datetime

from service.cli import _parse_since


def test_since_a_duration_means_that_long_ago() -> None:
    before = time.time()
    since = _parse_since("2h")
    after = time.time()
    assert since is not None
    assert before - 7200 <= since <= after - 7200


def test_since_an_iso_time_is_utc_unless_it_names_its_offset() -> None:
    utc = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()
    assert _parse_since("2026-11-25T12:00:00") == utc
    assert _parse_since("2026-11-25T14:00:00+02:00") == utc
    assert _parse_since(None) is None
