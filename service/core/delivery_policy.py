"""What a receiver's answer means for a delivery, and when to try again.

Pure: the current time and a random number in [0, 1) are passed in.

Only 2xx is success. Timeouts, connection errors, 408, 425, 429, 5xx and any
other unexpected status (1xx, 3xx: redirects are not followed) are retried on a
schedule. 410 Gone, and the answers that say a chat destination is gone for good
(Slack's archived channel or revoked webhook, Discord's unknown webhook), disable
the destination. Every other 4xx dead-letters the delivery with the status and
the start of the body: sending the same request again will not change the answer.

Jitter. The default is *full* jitter (AWS's "exponential backoff and full
jitter"): the retry after step `s` waits a uniform time in [0, s), which spreads
a burst of retries widest when a receiver comes back. Full jitter halves the
expected horizon of a schedule, so the default schedule is twice as long as
Standard Webhooks' (about two days at most, about one on average) and a
receiver that is down for most of a day still gets its alerts. `Jitter.EQUAL`
(uniform in [s/2, s)) keeps every retry at least half a step away, for
receivers that prefer fewer, later tries.

Retry-After (seconds or an HTTP date) is a lower bound: the retry never comes
sooner than the receiver asked, nor sooner than 1 s after a 429, nor later than
the schedule's longest step, and it still counts as an attempt, so a receiver
that always answers 429 ends in the dead letters when the schedule runs out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from service.core.durations import parse_duration

# --- what the sender saw -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendResult:
    """The receiver's answer; `status` is None when there was none (timeout, refused)."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# --- the schedule ----------------------------------------------------------------------


class Jitter(StrEnum):
    FULL = "full"  # uniform in [0, step)
    EQUAL = "equal"  # uniform in [step/2, step)
    NONE = "none"  # exactly the step


STANDARD_WEBHOOKS_STEPS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0,
                                              36000.0)
# Seconds, then minutes, then hours: Standard Webhooks' steps (5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h, 10 h) with a minute and three more 10 h steps, so that under full
# jitter the retries span about a day on average (47.6 h at most).
DEFAULT_STEPS: tuple[float, ...] = (
    5.0, 60.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0, 36000.0, 36000.0
)

@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """The waits before retries 1..n, after an immediate first attempt."""

    steps: tuple[float, ...] = DEFAULT_STEPS
    jitter: Jitter = Jitter.FULL
    rate_limit_floor: float = 1.0  # never retry sooner than this after a 429

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a retry schedule needs at least one step")
        if any(not math.isfinite(s) or s <= 0 for s in self.steps):
            raise ValueError("retry steps must be positive numbers of seconds")
        if not math.isfinite(self.rate_limit_floor) or self.rate_limit_floor < 0:
            raise ValueError("rate_limit_floor must be a non-negative number of seconds")

    @classmethod
    def parse(
        cls, steps: Iterable[str | float | int], jitter: str = Jitter.FULL.value
    ) -> RetrySchedule:
        """From config: `[5s, 5m, 30m, 2h, 5h, 10h, 10h]`, `jitter: full|equal|none`."""
        return cls(tuple(parse_duration(s) for s in steps), Jitter(jitter))

    @classmethod
    def exponential(
        cls, first: float, factor: float, cap: float, retries: int, jitter: Jitter = Jitter.FULL
    ) -> RetrySchedule:
        """`first * factor**k`, capped at `cap`, for `retries` retries."""
        return cls(tuple(min(cap, first * factor**k) for k in range(retries)), jitter)

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the first one and one per step."""
        return 1 + len(self.steps)

    @property
    def max_delay(self) -> float:
        return max(self.steps)

    def base_delay(self, attempt: int) -> float | None:
        """The step after failed attempt `attempt` (1-based); None once exhausted."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        return self.steps[attempt - 1] if attempt <= len(self.steps) else None

    def delay(self, attempt: int, rand: float) -> float | None:
        """The jittered wait after failed attempt `attempt`; None once exhausted."""
        if not 0.0 <= rand < 1.0:
            raise ValueError("rand must be in [0, 1)")
        step = self.base_delay(attempt)
        if step is None:
            return None
        if self.jitter is Jitter.FULL:
            return rand * step
        if self.jitter is Jitter.EQUAL:
            return step / 2 + rand * step / 2
        return step


DEFAULT_SCHEDULE = RetrySchedule()


# --- outcomes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivered:
    status: int


@dataclass(frozen=True, slots=True)
class RetryLater:
    delay_seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class DisableDestination:
    """The destination is gone: disable it, loudly, and dead-letter what was pending."""

    reason: str
    status: int | None = None


Outcome = Delivered | RetryLater | DeadLetter | DisableDestination


# --- Retry-After -----------------------------------------------------------------------

_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value: delay-seconds or an HTTP date.

    A date already past means now (0.0). Negative, empty or unreadable values
    are None: the caller falls back to its own schedule.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 64:
        return None
    if _SECONDS.match(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are always GMT
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _discord_retry_after(body: str) -> float | None:
    """Discord's 429 body: `{"retry_after": 1.5, ...}` in seconds."""
    doc = _json(body)
    value = doc.get("retry_after") if doc else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


# --- platform answers that mean "gone" ---------------------------------------------------

# Slack incoming webhooks answer in a plain-text body; these say the webhook or its
# channel can never take a message again (until someone fixes the configuration).
SLACK_GONE = frozenset(
    {
        "channel_not_found",  # 404
        "channel_is_archived",  # 410
        "invalid_token",  # 403: the webhook was revoked or never existed
        "no_service",  # 404: the webhook was disabled or removed
        "no_service_id",  # 400: the URL is missing its service id
        "no_team",  # 404: the workspace is gone
        "team_disabled",  # 404
        "no_active_hooks",  # 410/404: the app's webhooks are all disabled
        "action_prohibited",  # 403: an admin restriction forbids posting there
        "posting_to_general_channel_denied",  # 403
    }
)
DISCORD_GONE = frozenset({10015, 50027})  # Unknown Webhook, Invalid Webhook Token

RETRYABLE_4XX = frozenset({408, 425, 429})
BODY_EXCERPT = 300


def _json(body: str) -> dict[str, object] | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _slack_error(body: str) -> str:
    doc = _json(body)
    if doc is not None:
        error = doc.get("error")
        return error if isinstance(error, str) else ""
    return body.strip()


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= BODY_EXCERPT else text[: BODY_EXCERPT - 1] + "…"


def _answer(status: int, body: str) -> str:
    excerpt = _excerpt(body)
    return f"HTTP {status}: {excerpt}" if excerpt else f"HTTP {status}"


def _gone(status: int, body: str, destination_type: str) -> str | None:
    """Why the destination is gone for good, or None."""
    if destination_type == "slack" and 400 <= status < 500:
        error = _slack_error(body)
        if error in SLACK_GONE:
            return f"Slack answered {error} (HTTP {status})"
    if destination_type == "discord" and status in (401, 404):
        doc = _json(body)
        code = doc.get("code") if doc else None
        if isinstance(code, int) and code in DISCORD_GONE:
            return f"Discord answered {_answer(status, body)}"
    if status == 410:
        return f"the receiver answered {_answer(status, body)}"
    return None


# --- classification --------------------------------------------------------------------


def classify(
    result: SendResult,
    *,
    destination_type: str,
    attempt: int,
    now: datetime,
    rand: float,
    schedule: RetrySchedule = DEFAULT_SCHEDULE,
) -> Outcome:
    """The outcome of attempt number `attempt` (1 for the first try) of a delivery."""
    status = result.status
    if status is None:
        return _retry(
            f"no answer: {result.error or 'connection failed'}",
            None,
            attempt,
            rand,
            schedule,
            retry_after=None,
            rate_limited=False,
        )
    if 200 <= status < 300:
        return Delivered(status)
    if 400 <= status < 500:
        gone = _gone(status, result.body, destination_type)
        if gone is not None:
            return DisableDestination(gone, status)
        if status not in RETRYABLE_4XX:
            return DeadLetter(f"rejected: {_answer(status, result.body)}", status)
    retry_after = parse_retry_after(_header(result.headers, "Retry-After"), now)
    if retry_after is None and status == 429 and destination_type == "discord":
        retry_after = _discord_retry_after(result.body)
    reason = _answer(status, result.body)
    if 300 <= status < 400:
        location = _header(result.headers, "Location")
        where = f" to {_excerpt(location)}" if location else ""
        reason += f" (redirect{where} not followed)"
    return _retry(
        reason, status, attempt, rand, schedule, retry_after=retry_after, rate_limited=status == 429
    )


def _retry(
    reason: str,
    status: int | None,
    attempt: int,
    rand: float,
    schedule: RetrySchedule,
    *,
    retry_after: float | None,
    rate_limited: bool,
) -> Outcome:
    delay = schedule.delay(attempt, rand)
    if delay is None:
        return DeadLetter(f"gave up after {attempt} attempts; last: {reason}", status)
    if retry_after is not None:
        delay = max(delay, retry_after)
    if rate_limited:
        delay = max(delay, schedule.rate_limit_floor)
    return RetryLater(min(delay, schedule.max_delay), reason)
