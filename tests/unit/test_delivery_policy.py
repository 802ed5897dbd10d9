"""What each answer means for a delivery, and when it is tried again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from service.core.delivery_policy import (
    DEFAULT_SCHEDULE,
    DEFAULT_STEPS,
    STANDARD_WEBHOOKS_STEPS,
    DeadLetter,
    Delivered,
    DisableDestination,
    Jitter,
    Outcome,
    RetryLater,
    RetrySchedule,
    SendResult,
    classify,
    parse_retry_after,
)
from service.core.durations import parse_duration

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
HALF = 0.5
NO_JITTER = RetrySchedule(STANDARD_WEBHOOKS_STEPS, Jitter.NONE)


def _http_date(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- parse_retry_after -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (_http_date(NOW + timedelta(seconds=90)), 90.0),
        ("Wednesday, 25-Nov-26 03:01:30 GMT", 90.0),
        ("Wed Nov 25 03:01:30 2026", 90.0),
        (_http_date(NOW - timedelta(hours=1)), 0.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("12s", None),
        ("1" * 100, None),
        ("Wed, 99 Foo 2026 99:99:99 GMT", None),
    ],
    ids=[
        "seconds",
        "seconds_with_spaces",
        "zero",
        "fractional_seconds",
        "http_date",
        "rfc850_date",
        "asctime_date",
        "date_in_the_past_means_now",
        "negative",
        "garbage",
        "empty",
        "absent",
        "unit_suffix",
        "absurdly_long",
        "impossible_date",
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_with_a_naive_now_takes_it_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after(_http_date(NOW + timedelta(seconds=30)), naive) == 30.0


# --- the schedule ------------------------------------------------------------------------


def test_default_schedule_goes_seconds_minutes_hours_with_full_jitter_over_about_a_day() -> None:
    assert DEFAULT_STEPS[0] < 60 <= DEFAULT_STEPS[1] < 3600 <= DEFAULT_STEPS[4]
    assert list(DEFAULT_STEPS) == sorted(DEFAULT_STEPS)
    assert DEFAULT_SCHEDULE.jitter is Jitter.FULL
    # Full jitter waits half a step on average: the expected horizon is about a day.
    assert 20 * 3600 <= sum(DEFAULT_STEPS) / 2 <= 30 * 3600


@pytest.mark.parametrize(
    ("jitter", "rand", "expected"),
    [
        (Jitter.FULL, 0.0, 0.0),
        (Jitter.FULL, 0.5, 900.0),
        (Jitter.FULL, 0.999, 1798.2),
        (Jitter.EQUAL, 0.0, 900.0),
        (Jitter.EQUAL, 0.5, 1350.0),
        (Jitter.EQUAL, 0.999, 1799.1),
        (Jitter.NONE, 0.3, 1800.0),
    ],
    ids=[
        "full_low",
        "full_mid",
        "full_high",
        "equal_low",
        "equal_mid",
        "equal_high",
        "none",
    ],
)
def test_jitter_modes_over_the_third_step(jitter: Jitter, rand: float, expected: float) -> None:
    delay = RetrySchedule(STANDARD_WEBHOOKS_STEPS, jitter).delay(3, rand)
    assert delay == pytest.approx(expected)


@pytest.mark.parametrize("rand", [-0.1, 1.0, 2.0])
def test_rand_outside_the_unit_interval_is_refused(rand: float) -> None:
    with pytest.raises(ValueError, match="rand"):
        DEFAULT_SCHEDULE.delay(1, rand)


def test_no_delay_once_the_schedule_is_exhausted() -> None:
    assert DEFAULT_SCHEDULE.delay(len(DEFAULT_STEPS) + 1, 0.5) is None


@pytest.mark.parametrize(
    ("steps", "message"),
    [((), "at least one"), ((5.0, -1.0), "positive"), ((float("inf"),), "positive")],
    ids=["empty", "negative", "infinite"],
)
def test_malformed_schedules_are_refused(steps: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetrySchedule(steps)


def test_schedule_parses_from_config_durations() -> None:
    schedule = RetrySchedule.parse(["5s", "5m", "30m", "2h", "5h", "10h", "10h"], "full")
    assert schedule == RetrySchedule(STANDARD_WEBHOOKS_STEPS, Jitter.FULL)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("5s", 5.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("7", 7.0),
        (3, 3.0),
    ],
    ids=["millis", "seconds", "minutes", "hours", "days", "bare_number", "int"],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "5 parsecs", "-5s", "h"], ids=["empty", "unit", "neg", "no_number"]
)
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_exponential_schedule_doubles_up_to_its_cap() -> None:
    schedule = RetrySchedule.exponential(first=1, factor=2, cap=10, retries=6)
    assert schedule.steps == (1, 2, 4, 8, 10, 10)


# --- classify ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    result: SendResult
    expected: type[Outcome]
    destination_type: str = "webhook"
    attempt: int = 1
    delay: float | None = None  # with NO_JITTER, the expected RetryLater delay
    reason_has: tuple[str, ...] = field(default_factory=tuple)


CASES: dict[str, Case] = {
    "200_is_delivered": Case(SendResult(200, body="ok"), Delivered),
    "202_from_teams_is_delivered": Case(SendResult(202), Delivered, "teams"),
    "204_is_delivered": Case(SendResult(204), Delivered, "discord"),
    "timeout_retries_on_schedule": Case(
        SendResult(None, error="timed out after 10 s"),
        RetryLater,
        delay=5.0,
        reason_has=("timed out",),
    ),
    "connection_refused_retries": Case(
        SendResult(None, error="Connection refused"),
        RetryLater,
        attempt=2,
        delay=300.0,
    ),
    "500_retries": Case(
        SendResult(500, body="boom"), RetryLater, delay=5.0, reason_has=("500", "boom")
    ),
    "503_retries": Case(SendResult(503), RetryLater, attempt=4, delay=7200.0),
    "slack_rollup_error_retries": Case(
        SendResult(500, body="rollup_error"), RetryLater, "slack", delay=5.0
    ),
    "408_retries": Case(SendResult(408), RetryLater, delay=5.0),
    "429_without_retry_after_uses_the_schedule": Case(SendResult(429), RetryLater, delay=5.0),
    "429_retry_after_longer_than_the_step_is_honoured": Case(
        SendResult(429, {"Retry-After": "30"}),
        RetryLater,
        delay=30.0,
    ),
    "429_retry_after_shorter_than_the_step_waits_for_the_step": Case(
        SendResult(429, {"retry-after": "2"}),
        RetryLater,
        attempt=2,
        delay=300.0,
    ),
    "429_retry_after_as_http_date": Case(
        SendResult(429, {"Retry-After": _http_date(NOW + timedelta(minutes=10))}),
        RetryLater,
        delay=600.0,
    ),
    "429_retry_after_beyond_the_longest_step_is_capped": Case(
        SendResult(429, {"Retry-After": str(7 * 24 * 3600)}),
        RetryLater,
        delay=36000.0,
    ),
    "503_retry_after_is_honoured_too": Case(
        SendResult(503, {"Retry-After": "120"}),
        RetryLater,
        delay=120.0,
    ),
    "429_garbage_retry_after_falls_back_to_the_schedule": Case(
        SendResult(429, {"Retry-After": "later"}),
        RetryLater,
        delay=5.0,
    ),
    "discord_429_retry_after_in_the_body": Case(
        SendResult(429, body='{"message": "You are being rate limited.", "retry_after": 64.57}'),
        RetryLater,
        "discord",
        delay=64.57,
    ),
    "redirect_is_not_followed_and_retried": Case(
        SendResult(301, {"Location": "https://new.example/hook"}),
        RetryLater,
        delay=5.0,
        reason_has=("https://new.example/hook",),
    ),
    "400_dead_letters_with_status_and_body": Case(
        SendResult(400, body="invalid_payload"),
        DeadLetter,
        "slack",
        reason_has=("400", "invalid_payload"),
    ),
    "401_dead_letters": Case(SendResult(401, body="bad signature"), DeadLetter),
    "404_on_a_generic_webhook_dead_letters": Case(SendResult(404), DeadLetter),
    "413_dead_letters": Case(SendResult(413, body="too large"), DeadLetter),
    "410_disables_a_webhook": Case(SendResult(410), DisableDestination, reason_has=("410",)),
    "410_disables_teams": Case(SendResult(410), DisableDestination, "teams"),
    "slack_channel_not_found_disables": Case(
        SendResult(404, body="channel_not_found"),
        DisableDestination,
        "slack",
        reason_has=("channel_not_found",),
    ),
    "slack_channel_is_archived_disables": Case(
        SendResult(410, body="channel_is_archived"),
        DisableDestination,
        "slack",
        reason_has=("channel_is_archived",),
    ),
    "slack_invalid_token_disables": Case(
        SendResult(403, body="invalid_token"),
        DisableDestination,
        "slack",
    ),
    "slack_no_service_disables": Case(
        SendResult(404, body="no_service"), DisableDestination, "slack"
    ),
    "slack_action_prohibited_disables": Case(
        SendResult(403, body="action_prohibited\n"),
        DisableDestination,
        "slack",
    ),
    "slack_json_error_body_disables": Case(
        SendResult(404, body='{"ok": false, "error": "channel_not_found"}'),
        DisableDestination,
        "slack",
    ),
    "slack_words_mean_nothing_on_a_generic_webhook": Case(
        SendResult(404, body="channel_not_found"),
        DeadLetter,
        "webhook",
    ),
    "slack_unknown_403_dead_letters": Case(
        SendResult(403, body="something_else"), DeadLetter, "slack"
    ),
    "discord_unknown_webhook_disables": Case(
        SendResult(404, body='{"message": "Unknown Webhook", "code": 10015}'),
        DisableDestination,
        "discord",
    ),
    "discord_invalid_token_disables": Case(
        SendResult(401, body='{"message": "Invalid Webhook Token", "code": 50027}'),
        DisableDestination,
        "discord",
    ),
    "discord_bad_embed_dead_letters": Case(
        SendResult(400, body='{"code": 50035, "message": "Invalid Form Body"}'),
        DeadLetter,
        "discord",
    ),
    "last_scheduled_retry_still_retries": Case(
        SendResult(500), RetryLater, attempt=7, delay=36000.0
    ),
    "exhausted_schedule_dead_letters_with_the_last_answer": Case(
        SendResult(503, body="down"),
        DeadLetter,
        attempt=8,
        reason_has=("gave up after 8 attempts", "503", "down"),
    ),
    "exhausted_timeouts_dead_letter": Case(
        SendResult(None, error="timed out"),
        DeadLetter,
        attempt=8,
        reason_has=("timed out",),
    ),
    "exhausted_429_dead_letters": Case(
        SendResult(429, {"Retry-After": "1"}),
        DeadLetter,
        attempt=8,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_classify(case: Case) -> None:
    outcome = classify(
        case.result,
        destination_type=case.destination_type,
        attempt=case.attempt,
        now=NOW,
        rand=HALF,
        schedule=NO_JITTER,
    )
    assert type(outcome) is case.expected
    if case.delay is not None:
        assert isinstance(outcome, RetryLater)
        assert outcome.delay_seconds == pytest.approx(case.delay)
    for text in case.reason_has:
        assert isinstance(outcome, RetryLater | DeadLetter | DisableDestination)
        assert text in outcome.reason


@pytest.mark.parametrize("rand", [0.0, 0.25, 0.5, 0.999])
def test_a_retry_after_429_is_never_sooner_than_the_floor_even_with_full_jitter(
    rand: float,
) -> None:
    schedule = RetrySchedule(jitter=Jitter.FULL)
    outcome = classify(
        SendResult(429, {"Retry-After": "0"}),
        destination_type="slack",
        attempt=1,
        now=NOW,
        rand=rand,
        schedule=schedule,
    )
    assert isinstance(outcome, RetryLater)
    assert outcome.delay_seconds >= schedule.rate_limit_floor


@pytest.mark.parametrize("attempt", range(1, 8))
@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_equal_jitter_keeps_every_wait_within_half_a_step_and_a_step(
    attempt: int, rand: float
) -> None:
    outcome = classify(
        SendResult(502),
        destination_type="webhook",
        attempt=attempt,
        now=NOW,
        rand=rand,
        schedule=RetrySchedule(STANDARD_WEBHOOKS_STEPS, Jitter.EQUAL),
    )
    assert isinstance(outcome, RetryLater)
    step = STANDARD_WEBHOOKS_STEPS[attempt - 1]
    assert step / 2 <= outcome.delay_seconds < step


def test_dead_letter_reason_keeps_only_the_start_of_a_huge_body() -> None:
    outcome = classify(
        SendResult(400, body="<html>" + "x" * 100_000),
        destination_type="webhook",
        attempt=1,
        now=NOW,
        rand=HALF,
    )
    assert isinstance(outcome, DeadLetter)
    assert outcome.status == 400
    assert len(outcome.reason) < 400
    assert outcome.reason.endswith("…")


def test_send_result_is_ok_only_for_2xx() -> None:
    assert SendResult(200).ok
    assert SendResult(299).ok
    assert not SendResult(300).ok
    assert not SendResult(None, error="timeout").ok
