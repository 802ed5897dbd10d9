"""When to poll a feed next: pure decisions the Redis scheduler applies.

Every function takes the clock (`now`, epoch seconds) and randomness (`rand`, a
float in [0, 1)) as arguments, so a decision can be replayed in a test.

The shape of a decision:
- how often the feed publishes (`PublishHistory`) gives an interval, bounded by
  the policy's `min_interval` / `max_interval`;
- the feed's own hints (`<ttl>`, Cache-Control max-age, Expires, Retry-After) can
  only push the next check later, never earlier, and at most `max_hint_interval`;
- jitter spreads feeds that were added together;
- errors back off exponentially to `error_cap`, and the feed keeps being tried.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from email.utils import parsedate_tz
from enum import StrEnum
from typing import Literal

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Knobs of the polling schedule. Build per-feed variants with `for_feed`."""

    min_interval: float = 5 * MINUTE
    max_interval: float = 6 * HOUR
    default_interval: float = 30 * MINUTE
    # Check this many times per typical gap between new entries.
    checks_per_gap: float = 2.0
    history_size: int = 16
    jitter: float = 0.1
    # A hint (ttl, max-age, Expires, Retry-After) never delays a feed longer than this.
    max_hint_interval: float = DAY
    error_base: float = 5 * MINUTE
    error_cap: float = DAY
    gone_interval: float = DAY
    redirect_confirmations: int = 3
    redirect_min_span: float = HOUR
    unconditional_every: float = DAY

    def __post_init__(self) -> None:
        if not 0 < self.min_interval <= self.max_interval:
            raise ValueError("need 0 < min_interval <= max_interval")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if self.checks_per_gap <= 0 or self.history_size < 2:
            raise ValueError("checks_per_gap must be > 0 and history_size >= 2")
        if not 0 < self.error_base <= self.error_cap:
            raise ValueError("need 0 < error_base <= error_cap")
        if self.redirect_confirmations < 1:
            raise ValueError("redirect_confirmations must be >= 1")

    def for_feed(
        self, min_interval: float | None = None, max_interval: float | None = None
    ) -> PollPolicy:
        """This policy with a feed's own bounds; a feed may narrow or widen them."""
        lo = self.min_interval if min_interval is None else min_interval
        hi = self.max_interval if max_interval is None else max_interval
        return replace(self, min_interval=lo, max_interval=max(lo, hi))


# ---------------------------------------------------------------- publish rate


@dataclass(frozen=True, slots=True)
class PublishHistory:
    """Recent polls that found new entries: (poll time, number of new entries).

    Observation times are used rather than the entries' own dates, which feeds get
    wrong often (missing, in the future, all equal to the build time).
    """

    observations: tuple[tuple[float, int], ...] = ()

    def record(self, now: float, new_entries: int, policy: PollPolicy) -> PublishHistory:
        """The history after a poll at `now` that found `new_entries` new entries."""
        if new_entries <= 0:
            return self
        kept = (*self.observations, (now, new_entries))
        return PublishHistory(kept[-policy.history_size :])

    def encode(self) -> str:
        """Compact text for a Redis hash field: `time:count` pairs, whole seconds."""
        return ",".join(f"{int(t)}:{n}" for t, n in self.observations)

    @classmethod
    def decode(cls, text: str | None) -> PublishHistory:
        """The inverse of `encode`; unreadable text is an empty history, not an error."""
        pairs: list[tuple[float, int]] = []
        for part in (text or "").split(","):
            t, sep, n = part.partition(":")
            if sep and t.isdigit() and n.isdigit():
                pairs.append((float(t), int(n)))
        return cls(tuple(pairs))

    def publish_gap(self, now: float) -> float | None:
        """Seconds between new entries lately, or None with too little history.

        A silence longer than the usual gap counts as evidence too: a feed that
        stopped publishing drifts towards the maximum interval.
        """
        if len(self.observations) < 2:
            return None
        first, last = self.observations[0][0], self.observations[-1][0]
        published = sum(count for _, count in self.observations[1:])
        span = max(last - first, 0.0)
        gap = span / published
        silence = max(now - last, 0.0)
        return max(gap, silence)


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)


def _jittered(base: float, lo: float, hi: float, jitter: float, rand: float) -> float:
    """A value in a window of +-jitter around `base`, the window slid to fit [lo, hi].

    Sliding rather than clamping keeps feeds at a bound spread out too.
    """
    spread = base * jitter
    start, end = base - spread, base + spread
    if end - start <= hi - lo:
        if start < lo:
            start, end = lo, lo + 2 * spread
        elif end > hi:
            start, end = hi - 2 * spread, hi
    else:
        start, end = lo, hi
    return start + rand * (end - start)


def adaptive_interval(history: PublishHistory, now: float, policy: PollPolicy) -> float:
    """Seconds until the next check from the publish rate alone, within the bounds."""
    gap = history.publish_gap(now)
    wanted = policy.default_interval if gap is None else gap / policy.checks_per_gap
    return _clamp(wanted, policy.min_interval, policy.max_interval)


@dataclass(frozen=True, slots=True)
class FeedHints:
    """What the server and the feed said about when to come back.

    `not_before` is an absolute time (epoch seconds): the latest of all hints.
    """

    not_before: float | None = None

    @classmethod
    def from_response(
        cls,
        headers: Mapping[str, str],
        now: float,
        ttl_seconds: float | None = None,
    ) -> FeedHints:
        """Hints from response headers and the feed's `<ttl>` (already in seconds).

        Expires is ignored when Cache-Control carries max-age (as HTTP caches do);
        no-cache / no-store mean "no hint", not "poll constantly".
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        times: list[float] = []
        if ttl_seconds is not None and ttl_seconds > 0:
            times.append(now + ttl_seconds)
        cache_control = lowered.get("cache-control")
        max_age = parse_cache_control_max_age(cache_control)
        if max_age is not None:
            times.append(now + max_age)
        elif cache_control is None or not _forbids_caching(cache_control):
            expires = parse_http_date(lowered.get("expires"))
            if expires is not None and expires > now:
                times.append(expires)
        retry = parse_retry_after(lowered.get("retry-after"), now)
        if retry is not None:
            times.append(retry)
        return cls(max(times) if times else None)


def next_check(
    history: PublishHistory,
    now: float,
    rand: float,
    policy: PollPolicy,
    hints: FeedHints | None = None,
) -> float:
    """Absolute time of the next check of a feed that was just fetched successfully."""
    base = adaptive_interval(history, now, policy)
    delay = _jittered(base, policy.min_interval, policy.max_interval, policy.jitter, rand)
    if hints is not None and hints.not_before is not None:
        hinted = min(hints.not_before - now, policy.max_hint_interval)
        # Only ever later than the hint: a Retry-After must not be undercut by jitter.
        hinted *= 1 + policy.jitter * rand
        delay = max(delay, hinted)
    return now + delay


# --------------------------------------------------------------------- errors


def error_backoff(consecutive_errors: int, policy: PollPolicy, rand: float) -> float:
    """Seconds to wait after the n-th error in a row: exponential, capped, jittered.

    Never infinite: a failing feed is retried at least every `error_cap` seconds.
    """
    if consecutive_errors < 1:
        raise ValueError("consecutive_errors must be >= 1")
    exponent = min(consecutive_errors - 1, 60)
    base = min(policy.error_base * math.pow(2, exponent), policy.error_cap)
    return min(base * (1 + policy.jitter * (2 * rand - 1)), policy.error_cap)


def next_check_after_error(
    consecutive_errors: int,
    now: float,
    rand: float,
    policy: PollPolicy,
    retry_after_at: float | None = None,
) -> float:
    """Absolute time of the next try after a failure; a server's Retry-After wins if later."""
    at = now + error_backoff(consecutive_errors, policy, rand)
    if retry_after_at is not None:
        at = max(at, min(retry_after_at, now + policy.max_hint_interval))
    return at


# -------------------------------------------------------------- hint parsers

_MAX_AGE = re.compile(r"""^\s*max-age\s*=\s*"?(\d+)"?\s*$""", re.IGNORECASE)


def _directives(value: str) -> list[str]:
    return [d.strip() for d in value.split(",") if d.strip()]


def _forbids_caching(value: str) -> bool:
    names = {d.split("=", 1)[0].strip().lower() for d in _directives(value)}
    return bool(names & {"no-cache", "no-store"})


def parse_cache_control_max_age(value: str | None) -> float | None:
    """Seconds of `max-age`, or None when absent, malformed, or no-cache/no-store."""
    if not value or _forbids_caching(value):
        return None
    for directive in _directives(value):
        match = _MAX_AGE.match(directive)
        if match:
            return float(int(match.group(1)))
    return None


def parse_http_date(value: str | None) -> float | None:
    """Epoch seconds of an HTTP date (IMF-fixdate, RFC 850 or asctime), else None."""
    if not value:
        return None
    parts = parsedate_tz(value.strip())
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1970):
        return None
    offset = parts[9] or 0
    try:
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 1, 0)) - offset)
    except (OverflowError, ValueError):
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Absolute time a Retry-After (delay-seconds or HTTP date) asks to wait until."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return now + int(text)
    at = parse_http_date(text)
    if at is None or at <= now:
        return None
    return at


# --------------------------------------------------------------- feed health


class Health(StrEnum):
    OK = "ok"
    FAILING = "failing"
    GONE = "gone"


OutcomeKind = Literal["fetched", "not_modified", "error", "gone", "deferred"]


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What one fetch attempt came to, as far as the feed's health is concerned.

    `deferred` (over the host's budget) is not an attempt and changes nothing.
    """

    kind: OutcomeKind
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeedStatus:
    health: Health = Health.OK
    consecutive_errors: int = 0
    failing_since: float | None = None
    last_error: str | None = None
    last_ok_at: float | None = None


def status_to_fields(status: FeedStatus) -> dict[str, str]:
    """A status as Redis hash fields (absent values left out)."""
    fields = {"health": status.health.value, "errors": str(status.consecutive_errors)}
    if status.failing_since is not None:
        fields["failing_since"] = f"{status.failing_since:.0f}"
    if status.last_error is not None:
        fields["last_error"] = status.last_error[:300]
    if status.last_ok_at is not None:
        fields["last_ok_at"] = f"{status.last_ok_at:.0f}"
    return fields


def status_from_fields(fields: Mapping[str, str]) -> FeedStatus:
    """The inverse of `status_to_fields`; missing or unreadable fields take defaults."""

    def number(key: str) -> float | None:
        try:
            return float(fields[key])
        except (KeyError, ValueError):
            return None

    try:
        health = Health(fields.get("health", "ok"))
    except ValueError:
        health = Health.OK
    errors = number("errors")
    return FeedStatus(
        health=health,
        consecutive_errors=int(errors) if errors is not None and errors >= 0 else 0,
        failing_since=number("failing_since"),
        last_error=fields.get("last_error"),
        last_ok_at=number("last_ok_at"),
    )


def transition(status: FeedStatus, outcome: FetchOutcome, now: float) -> FeedStatus:
    """The feed's status after `outcome`. A success from any state makes it ok again."""
    if outcome.kind == "deferred":
        return status
    if outcome.kind in ("fetched", "not_modified"):
        return FeedStatus(health=Health.OK, last_ok_at=now)
    since = status.failing_since if status.failing_since is not None else now
    if outcome.kind == "gone":
        return FeedStatus(
            health=Health.GONE,
            consecutive_errors=status.consecutive_errors + 1,
            failing_since=since,
            last_error=outcome.error or "410 Gone",
            last_ok_at=status.last_ok_at,
        )
    return FeedStatus(
        health=Health.FAILING,
        consecutive_errors=status.consecutive_errors + 1,
        failing_since=since,
        last_error=outcome.error or "unknown error",
        last_ok_at=status.last_ok_at,
    )


def next_check_for_status(
    status: FeedStatus,
    history: PublishHistory,
    now: float,
    rand: float,
    policy: PollPolicy,
    hints: FeedHints | None = None,
) -> float:
    """Absolute time of the next check given the status `transition` just returned.

    A gone feed is still checked, every `gone_interval`, in case it comes back.
    """
    retry_at = hints.not_before if hints is not None else None
    if status.health is Health.GONE:
        return now + policy.gone_interval * (1 + policy.jitter * rand)
    if status.health is Health.FAILING:
        return next_check_after_error(status.consecutive_errors, now, rand, policy, retry_at)
    return next_check(history, now, rand, policy, hints)


# ------------------------------------------------------------------ redirects

PERMANENT_REDIRECTS = frozenset({301, 308})
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})


@dataclass(frozen=True, slots=True)
class RedirectState:
    """A permanent-redirect target seen on `seen` consecutive fetches since `first_seen`."""

    target: str | None = None
    seen: int = 0
    first_seen: float | None = None


@dataclass(frozen=True, slots=True)
class RedirectDecision:
    state: RedirectState
    adopt: str | None = None


def redirect_to_fields(state: RedirectState) -> dict[str, str]:
    """A redirect count as Redis hash fields; empty when nothing is being counted."""
    if state.target is None or state.first_seen is None:
        return {}
    return {
        "redirect_target": state.target,
        "redirect_seen": str(state.seen),
        "redirect_first_seen": f"{state.first_seen:.0f}",
    }


def redirect_from_fields(fields: Mapping[str, str]) -> RedirectState:
    """The inverse of `redirect_to_fields`; anything unreadable starts the count afresh."""
    target = fields.get("redirect_target")
    seen = fields.get("redirect_seen", "")
    first = fields.get("redirect_first_seen", "")
    if not target or not seen.isdigit() or not first.isdigit():
        return RedirectState()
    return RedirectState(target=target, seen=int(seen), first_seen=float(first))


def permanent_target(hops: Sequence[tuple[int, str]]) -> str | None:
    """The address reached through the leading permanent hops of a redirect chain.

    `hops` is (status, absolute Location) per redirect followed. In 301 -> B, 302 -> C,
    B is the feed's new home and C only where it is today.
    """
    target: str | None = None
    for status, location in hops:
        if status not in PERMANENT_REDIRECTS:
            break
        target = location
    return target


def observe_redirects(
    state: RedirectState,
    hops: Sequence[tuple[int, str]],
    now: float,
    policy: PollPolicy,
) -> RedirectDecision:
    """Count a permanent redirect; adopt its target once confirmed.

    Adoption needs the same target on `redirect_confirmations` consecutive fetches
    spanning at least `redirect_min_span` seconds. A fetch without a permanent
    redirect, or to another target, starts the count again. After adoption the
    state is cleared (the caller now fetches the new address).
    """
    target = permanent_target(hops)
    if target is None:
        return RedirectDecision(RedirectState())
    if target != state.target or state.first_seen is None:
        state = RedirectState(target=target, seen=1, first_seen=now)
    else:
        state = RedirectState(target=target, seen=state.seen + 1, first_seen=state.first_seen)
    confirmed = state.seen >= policy.redirect_confirmations
    if confirmed and now - (state.first_seen or now) >= policy.redirect_min_span:
        return RedirectDecision(RedirectState(), adopt=target)
    return RedirectDecision(state)


def redirect_chain_error(start: str, locations: Sequence[str], max_hops: int = 5) -> str | None:
    """Why a redirect chain must be refused (a loop, or too long), or None if it is fine."""
    seen = {start}
    for index, location in enumerate(locations, start=1):
        if location in seen:
            return f"redirect loop back to {location} after {index} hop(s)"
        if index > max_hops:
            return f"more than {max_hops} redirects"
        seen.add(location)
    return None


# ------------------------------------------------------- unconditional fetches


def should_fetch_unconditionally(
    last_unconditional_at: float | None, now: float, policy: PollPolicy
) -> bool:
    """Whether to drop ETag / If-Modified-Since this time.

    Some servers answer 304 forever once their validators break; one plain GET per
    `unconditional_every` recovers them at the cost of one full body.
    """
    if last_unconditional_at is None:
        return True
    return now - last_unconditional_at >= policy.unconditional_every
