"""The deliver stage: build the alert as the story stands now, send, decide."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from service.adapters.senders.base import SendResult
from service.core.alerts import Alert
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """`retry_in` is set when the job should run again after that many seconds."""

    outcome: str
    retry_in: float | None = None
    reason: str | None = None


def _retry_after(result: SendResult) -> float | None:
    value = {k.lower(): v for k, v in result.headers.items()}.get("retry-after")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def classify(p: Pipeline, result: SendResult, attempt: int) -> DeliveryOutcome:
    """Only 2xx is success; 408, 429, 5xx and no answer are retried on the
    schedule; any other answer is dead-lettered with the receiver's words."""
    if result.ok:
        return DeliveryOutcome("delivered")
    schedule = p.settings.delivery.retry_schedule
    retryable = result.status is None or result.status in (408, 425, 429) or result.status >= 500
    reason = (
        f"HTTP {result.status}: {result.body[:300]}".strip()
        if result.status is not None
        else (result.error or "no answer")
    )
    if not retryable:
        return DeliveryOutcome("dead_letter", reason=reason)
    if attempt > len(schedule):
        return DeliveryOutcome("dead_letter", reason=f"gave up after {attempt} attempts: {reason}")
    delay = schedule[attempt - 1] * (0.5 + 0.5 * p.rand())
    hinted = _retry_after(result)
    if hinted is not None:
        delay = max(delay, hinted)
    return DeliveryOutcome("retry", retry_in=delay, reason=reason)


async def deliver(p: Pipeline, delivery_id: str, attempt: int) -> DeliveryOutcome:
    record = await p.deliveries.get(delivery_id)
    if record is None:
        return DeliveryOutcome("missing")
    if record.status in ("delivered", "dead"):
        return DeliveryOutcome(record.status)
    sender = p.routing.senders.get(record.destination)
    if sender is None:
        reason = f"destination {record.destination!r} is no longer configured or is disabled"
        await p.deliveries.dead_letter(delivery_id, reason, p.clock())
        await _refresh_dead(p)
        return DeliveryOutcome("dead_letter", reason=reason)
    story = await p.stories.get(record.story_id)
    if story is None:
        reason = "the story expired before it could be delivered"
        await p.deliveries.dead_letter(delivery_id, reason, p.clock())
        await _refresh_dead(p)
        return DeliveryOutcome("dead_letter", reason=reason)
    alert = Alert(
        delivery_id=delivery_id,
        story_id=story.story_id,
        destination=record.destination,
        title=story.title,
        link=story.link,
        snippet=record.snippet,
        outlets=story.outlets,
        rules=record.rules,
        matched_terms=record.terms,
        published=datetime.fromtimestamp(story.published, tz=UTC) if story.published else None,
        first_seen=datetime.fromtimestamp(story.first_seen, tz=UTC),
        copies=story.copies,
    )
    kind = sender.type
    started = time.perf_counter()
    result = await sender.send(alert, now=p.clock())
    p.metrics.delivery_duration.labels(kind).observe(time.perf_counter() - started)
    p.metrics.delivery_attempts.labels(kind).inc()
    now = p.clock()
    await p.deliveries.record_attempt(delivery_id, None if result.ok else _describe(result), now)
    outcome = classify(p, result, attempt)
    p.metrics.deliveries.labels(kind, outcome.outcome).inc()
    extra = {
        "delivery": delivery_id,
        "story": story.story_id,
        "destination": record.destination,
        "attempt": attempt,
    }
    if outcome.outcome == "delivered":
        await p.deliveries.mark_delivered(delivery_id, now)
        p.metrics.alert_latency.labels(kind).observe(max(0.0, now - story.first_seen))
        log.info("alert delivered", extra=extra)
    elif outcome.outcome == "dead_letter":
        await p.deliveries.dead_letter(delivery_id, outcome.reason or "", now)
        await _refresh_dead(p)
        log.error("alert dead-lettered: %s", outcome.reason, extra=extra)
    else:
        log.warning(
            "alert delivery failed, retrying in %.1f s: %s",
            outcome.retry_in,
            outcome.reason,
            extra=extra,
        )
    return outcome


def _describe(result: SendResult) -> str:
    if result.status is None:
        return result.error or "no answer"
    return f"HTTP {result.status}: {result.body[:300]}"


async def _refresh_dead(p: Pipeline) -> None:
    p.metrics.dead_letters.set(await p.deliveries.count_dead())
