"""Pure scheduling decisions: intervals, hints, backoff, health, redirects."""

from __future__ import annotations

import pytest

from service.core.schedule import (
    DAY,
    HOUR,
    MINUTE,
    FeedHints,
    FeedStatus,
    FetchOutcome,
    Health,
    PollPolicy,
    PublishHistory,
    RedirectState,
    adaptive_interval,
    error_backoff,
    next_check,
    next_check_after_error,
    next_check_for_status,
    observe_redirects,
    parse_cache_control_max_age,
    parse_http_date,
    parse_retry_after,
    permanent_target,
    redirect_chain_error,
    redirect_from_fields,
    redirect_to_fields,
    should_fetch_unconditionally,
    status_from_fields,
    status_to_fields,
    transition,
)

NOW = 1_700_000_000.0
POLICY = PollPolicy()
NO_JITTER = PollPolicy(jitter=0.0)
MID = 0.5  # rand in the middle of the jitter window: no displacement


def history_every(gap: float, count: int, last: float = NOW) -> PublishHistory:
    return PublishHistory(tuple((last - gap * i, 1) for i in reversed(range(count))))


# ----------------------------------------------------------- adaptive interval


@pytest.mark.parametrize(
    ("scenario", "history", "expected"),
    [
        ("new feed without history uses the default", PublishHistory(), 30 * MINUTE),
        ("one observation is not a rate", PublishHistory(((NOW, 3),)), 30 * MINUTE),
        ("hourly publisher is checked every half hour", history_every(HOUR, 6), 30 * MINUTE),
        ("busy wire feed is held at the minimum", history_every(MINUTE, 10), 5 * MINUTE),
        ("daily publisher is held at the maximum", history_every(DAY, 5), 6 * HOUR),
        (
            "five entries per poll count as five publications",
            PublishHistory(((NOW - 2 * HOUR, 5), (NOW - HOUR, 5), (NOW, 5))),
            12 * MINUTE / 2,
        ),
        (
            "a feed gone quiet drifts towards the maximum",
            history_every(10 * MINUTE, 6, last=NOW - 4 * HOUR),
            2 * HOUR,
        ),
    ],
)
def test_adaptive_interval_follows_publish_rate(
    scenario: str, history: PublishHistory, expected: float
) -> None:
    assert adaptive_interval(history, NOW, POLICY) == pytest.approx(expected), scenario


def test_history_ignores_polls_without_new_entries() -> None:
    history = history_every(HOUR, 3)
    assert history.record(NOW + 10, 0, POLICY) is history


def test_history_keeps_only_the_most_recent_observations() -> None:
    policy = PollPolicy(history_size=4)
    history = PublishHistory()
    for i in range(10):
        history = history.record(NOW + i, 1, policy)
    assert [t for t, _ in history.observations] == [NOW + 6, NOW + 7, NOW + 8, NOW + 9]


def test_per_feed_bounds_override_global_bounds() -> None:
    policy = POLICY.for_feed(min_interval=HOUR, max_interval=2 * HOUR)
    assert adaptive_interval(history_every(MINUTE, 10), NOW, policy) == HOUR
    assert adaptive_interval(history_every(DAY, 5), NOW, policy) == 2 * HOUR


def test_per_feed_max_below_global_min_is_raised_to_the_min() -> None:
    policy = POLICY.for_feed(min_interval=HOUR, max_interval=MINUTE)
    assert policy.max_interval == HOUR


# ------------------------------------------------------------------ jitter


@pytest.mark.parametrize(
    ("scenario", "history", "low", "high"),
    [
        ("middle of the range jitters both ways", history_every(HOUR, 6), 27 * MINUTE, 33 * MINUTE),
        ("at the minimum jitter only goes up", history_every(MINUTE, 10), 5 * MINUTE, 6 * MINUTE),
        ("at the maximum jitter only goes down", history_every(DAY, 5), 4.8 * HOUR, 6 * HOUR),
    ],
)
def test_jitter_stays_within_bounds_and_spreads_feeds(
    scenario: str, history: PublishHistory, low: float, high: float
) -> None:
    delays = [next_check(history, NOW, r / 10, POLICY) - NOW for r in range(10)]
    assert min(delays) == pytest.approx(low), scenario
    assert max(delays) == pytest.approx(low + (high - low) * 0.9), scenario
    assert len(set(delays)) == 10, scenario


def test_feeds_added_together_get_different_due_times() -> None:
    times = {next_check(PublishHistory(), NOW, r, POLICY) for r in (0.05, 0.35, 0.65, 0.95)}
    assert len(times) == 4


# ------------------------------------------------------------------- hints


@pytest.mark.parametrize(
    ("scenario", "headers", "ttl", "expected_delay"),
    [
        ("no hints", {}, None, None),
        ("rss ttl of two hours", {}, 2 * HOUR, 2 * HOUR),
        ("cache-control max-age", {"Cache-Control": "public, max-age=7200"}, None, 2 * HOUR),
        ("no-cache means no hint", {"Cache-Control": "no-cache, max-age=7200"}, None, None),
        ("no-store means no hint", {"cache-control": "no-store"}, None, None),
        (
            "expires in the future",
            {"Expires": "Wed, 15 Nov 2023 00:13:20 GMT"},
            None,
            2 * HOUR,
        ),
        ("expired expires is no hint", {"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, None, None),
        ("expires 0 is no hint", {"Expires": "0"}, None, None),
        (
            "max-age overrides expires",
            {"Cache-Control": "max-age=60", "Expires": "Wed, 15 Nov 2023 00:13:20 GMT"},
            None,
            60.0,
        ),
        ("retry-after seconds", {"Retry-After": "900"}, None, 900.0),
        (
            "retry-after as an http date",
            {"Retry-After": "Wed, 15 Nov 2023 00:13:20 GMT"},
            None,
            2 * HOUR,
        ),
        ("latest hint wins", {"Retry-After": "60", "Cache-Control": "max-age=120"}, 30.0, 120.0),
    ],
)
def test_hints_from_response(
    scenario: str, headers: dict[str, str], ttl: float | None, expected_delay: float | None
) -> None:
    hints = FeedHints.from_response(headers, NOW, ttl_seconds=ttl)
    if expected_delay is None:
        assert hints.not_before is None, scenario
    else:
        assert hints.not_before == pytest.approx(NOW + expected_delay), scenario


def test_hint_raises_the_next_check() -> None:
    hints = FeedHints(not_before=NOW + 3 * HOUR)
    at = next_check(history_every(MINUTE, 10), NOW, 0.0, POLICY, hints)
    assert at == NOW + 3 * HOUR


def test_hint_never_lowers_the_next_check() -> None:
    hints = FeedHints(not_before=NOW + 60)
    at = next_check(history_every(DAY, 5), NOW, MID, NO_JITTER, hints)
    assert at == NOW + 6 * HOUR


def test_jitter_never_undercuts_a_retry_after() -> None:
    hints = FeedHints(not_before=NOW + 3 * HOUR)
    for r in (0.0, 0.3, 0.99):
        assert next_check(PublishHistory(), NOW, r, POLICY, hints) >= NOW + 3 * HOUR


def test_absurd_hint_is_capped_so_the_feed_is_not_silenced() -> None:
    hints = FeedHints(not_before=NOW + 365 * DAY)
    assert next_check(PublishHistory(), NOW, 0.0, POLICY, hints) == NOW + DAY


# ------------------------------------------------------------- hint parsers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("max-age=300", 300.0),
        ("public, max-age=300, must-revalidate", 300.0),
        ('max-age="300"', 300.0),
        ("MAX-AGE=5", 5.0),
        ("s-maxage=300", None),
        ("max-age=-5", None),
        ("max-age=soon", None),
        ("private, no-cache", None),
        ("no-store, max-age=300", None),
    ],
)
def test_parse_cache_control_max_age(value: str | None, expected: float | None) -> None:
    assert parse_cache_control_max_age(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777.0),
        ("Sun Nov  6 08:49:37 1994", 784111777.0),
        ("Sun, 06 Nov 1994 10:49:37 +0200", 784111777.0),
        ("0", None),
        ("-1", None),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_http_date(value: str | None, expected: float | None) -> None:
    assert parse_http_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + 120),
        (" 0 ", NOW),
        ("Wed, 15 Nov 2023 00:13:20 GMT", NOW + 2 * HOUR),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("-30", None),
        ("later", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (1, 5 * MINUTE),
        (2, 10 * MINUTE),
        (3, 20 * MINUTE),
        (6, 160 * MINUTE),
        (10, DAY),
        (10_000, DAY),
    ],
)
def test_error_backoff_is_exponential_up_to_the_cap(errors: int, expected: float) -> None:
    assert error_backoff(errors, NO_JITTER, MID) == pytest.approx(expected)


def test_error_backoff_jitter_never_exceeds_the_cap() -> None:
    assert error_backoff(50, POLICY, 0.99) <= DAY
    assert error_backoff(50, POLICY, 0.0) == pytest.approx(0.9 * DAY)


def test_error_backoff_refuses_zero_errors() -> None:
    with pytest.raises(ValueError, match="consecutive_errors"):
        error_backoff(0, POLICY, MID)


def test_retry_after_on_an_error_delays_beyond_the_backoff() -> None:
    at = next_check_after_error(1, NOW, MID, NO_JITTER, retry_after_at=NOW + 2 * HOUR)
    assert at == NOW + 2 * HOUR


# ------------------------------------------------------------------ health


def test_first_error_marks_feed_failing_since_now() -> None:
    status = transition(FeedStatus(), FetchOutcome("error", "HTTP 500"), NOW)
    assert status == FeedStatus(Health.FAILING, 1, NOW, "HTTP 500", None)


def test_repeated_errors_keep_the_first_failure_time_and_the_latest_error() -> None:
    status = transition(FeedStatus(), FetchOutcome("error", "timeout"), NOW)
    status = transition(status, FetchOutcome("error", "HTTP 502"), NOW + 60)
    assert (status.consecutive_errors, status.failing_since, status.last_error) == (
        2,
        NOW,
        "HTTP 502",
    )


@pytest.mark.parametrize("kind", ["fetched", "not_modified"])
def test_success_recovers_a_failing_feed(kind: str) -> None:
    failing = FeedStatus(Health.FAILING, 7, NOW - DAY, "timeout", None)
    status = transition(failing, FetchOutcome(kind), NOW)  # type: ignore[arg-type]
    assert status == FeedStatus(Health.OK, 0, None, None, NOW)


def test_410_marks_feed_gone() -> None:
    status = transition(FeedStatus(last_ok_at=NOW - HOUR), FetchOutcome("gone"), NOW)
    assert status.health is Health.GONE
    assert status.last_error == "410 Gone"
    assert status.last_ok_at == NOW - HOUR


def test_deferred_fetch_over_host_budget_is_not_an_error() -> None:
    status = FeedStatus(last_ok_at=NOW)
    assert transition(status, FetchOutcome("deferred"), NOW + 1) is status


def test_gone_feed_is_still_checked_daily() -> None:
    gone = FeedStatus(Health.GONE, 1, NOW, "410 Gone", None)
    at = next_check_for_status(gone, PublishHistory(), NOW, 0.0, POLICY)
    assert at == NOW + DAY


def test_failing_feed_is_never_dropped() -> None:
    failing = FeedStatus(Health.FAILING, 500, NOW - 30 * DAY, "DNS failure", None)
    at = next_check_for_status(failing, PublishHistory(), NOW, 0.99, POLICY)
    assert NOW < at <= NOW + DAY


def test_ok_feed_follows_its_publish_rate() -> None:
    at = next_check_for_status(FeedStatus(), history_every(HOUR, 6), NOW, MID, NO_JITTER)
    assert at == NOW + 30 * MINUTE


# --------------------------------------------------------------- redirects

OLD = "http://example.com/feed"
NEW = "https://example.com/feed.xml"
OTHER = "https://cdn.example.com/feed.xml"


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        ([], None),
        ([(301, NEW)], NEW),
        ([(308, NEW)], NEW),
        ([(302, NEW)], None),
        ([(307, NEW)], None),
        ([(301, NEW), (302, OTHER)], NEW),
        ([(302, NEW), (301, OTHER)], None),
        ([(301, NEW), (308, OTHER)], OTHER),
    ],
)
def test_permanent_target_follows_only_leading_permanent_hops(
    hops: list[tuple[int, str]], expected: str | None
) -> None:
    assert permanent_target(hops) == expected


def fetch_sequence(hops_per_fetch: list[list[tuple[int, str]]], gap: float) -> list[str | None]:
    state = RedirectState()
    adopted: list[str | None] = []
    for i, hops in enumerate(hops_per_fetch):
        decision = observe_redirects(state, hops, NOW + i * gap, POLICY)
        state = decision.state
        adopted.append(decision.adopt)
    return adopted


def test_301_is_adopted_after_three_consecutive_sightings() -> None:
    assert fetch_sequence([[(301, NEW)]] * 3, HOUR) == [None, None, NEW]


def test_301_seen_once_then_gone_is_not_adopted() -> None:
    assert fetch_sequence([[(301, NEW)], [], [(301, NEW)], [(301, NEW)]], HOUR) == [None] * 4


def test_different_target_restarts_the_count() -> None:
    fetches = [[(301, NEW)], [(301, NEW)], [(301, OTHER)], [(301, OTHER)], [(301, OTHER)]]
    assert fetch_sequence(fetches, HOUR) == [None, None, None, None, OTHER]


def test_temporary_redirects_never_change_the_address() -> None:
    assert fetch_sequence([[(302, NEW)]] * 5 + [[(307, NEW)]] * 5, HOUR) == [None] * 10


def test_quick_consecutive_sightings_wait_for_the_minimum_span() -> None:
    adopted = fetch_sequence([[(301, NEW)]] * 8, 10 * MINUTE)
    assert adopted == [None] * 6 + [NEW, None]


@pytest.mark.parametrize(
    ("locations", "error"),
    [
        ([NEW], None),
        ([NEW, OTHER], None),
        ([NEW, OLD], "redirect loop"),
        ([NEW, NEW], "redirect loop"),
        ([f"https://example.com/{i}" for i in range(6)], "more than 5 redirects"),
    ],
)
def test_redirect_chain_errors(locations: list[str], error: str | None) -> None:
    problem = redirect_chain_error(OLD, locations)
    if error is None:
        assert problem is None
    else:
        assert problem is not None
        assert error in problem


# ---------------------------------------------------- unconditional fetches


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (None, NOW, True),
        (NOW - HOUR, NOW, False),
        (NOW - DAY + 1, NOW, False),
        (NOW - DAY, NOW, True),
        (NOW - 10 * DAY, NOW, True),
    ],
)
def test_should_fetch_unconditionally_once_a_day(
    last: float | None, now: float, expected: bool
) -> None:
    assert should_fetch_unconditionally(last, now, POLICY) is expected


# ------------------------------------------------------------ stored forms


def test_publish_history_survives_its_stored_form() -> None:
    history = PublishHistory(((NOW - HOUR, 2), (NOW, 1)))
    assert history.encode() == f"{int(NOW - HOUR)}:2,{int(NOW)}:1"
    assert PublishHistory.decode(history.encode()) == history


@pytest.mark.parametrize("text", [None, "", "garbage", "1:x,:3,-5:1"])
def test_unreadable_stored_history_is_empty(text: str | None) -> None:
    assert PublishHistory.decode(text) == PublishHistory()


@pytest.mark.parametrize(
    "status",
    [
        FeedStatus(),
        FeedStatus(last_ok_at=NOW),
        FeedStatus(Health.FAILING, 3, NOW - HOUR, "HTTP 503", NOW - DAY),
        FeedStatus(Health.GONE, 1, NOW, "410 Gone", None),
    ],
)
def test_feed_status_survives_its_stored_form(status: FeedStatus) -> None:
    assert status_from_fields(status_to_fields(status)) == status


def test_unreadable_stored_status_falls_back_to_defaults() -> None:
    status = status_from_fields({"health": "weird", "errors": "many", "last_ok_at": "x"})
    assert status == FeedStatus()


def test_redirect_count_survives_its_stored_form() -> None:
    state = RedirectState(NEW, 2, NOW)
    assert redirect_from_fields(redirect_to_fields(state)) == state
    assert redirect_to_fields(RedirectState()) == {}


def test_unreadable_stored_redirect_count_starts_afresh() -> None:
    fields = {"redirect_target": NEW, "redirect_seen": "two", "redirect_first_seen": "1"}
    assert redirect_from_fields(fields) == RedirectState()
