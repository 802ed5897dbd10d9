"""The deliver stage: claim, respect the destination's rate and flood guard,
build the alert as the story stands now, send, and act on the answer."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from service.adapters.redis_store import DEAD_LETTER_KEEP_S, DeliveryRecord
from service.core.alerts import Alert, digest_alert, digest_id_for
from service.core.delivery_policy import (
    DeadLetter,
    Delivered,
    DisableDestination,
    RetryLater,
    classify,
)
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)

# A claim outlives the send's timeout by this much; a worker that died mid-send
# frees its delivery for another worker when the claim runs out.
CLAIM_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """`retry_in` is set when the job should run again after that many seconds."""

    outcome: str
    retry_in: float | None = None
    reason: str | None = None


async def _alert_for(p: Pipeline, record: DeliveryRecord) -> Alert | None:
    story = await p.stories.get(record.story_id)
    if story is None:
        return None
    return Alert(
        delivery_id=record.delivery_id,
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
        highlights=record.highlights,
    )


async def _digest_for(p: Pipeline, record: DeliveryRecord) -> tuple[Alert | None, list[str]]:
    assert record.window_end is not None
    members = await p.guard.digest_members(record.destination, record.window_end)
    alerts = []
    for member_id in members:
        member = await p.deliveries.get(member_id)
        alert = await _alert_for(p, member) if member else None
        if alert is not None:
            alerts.append(alert)
    if not alerts:
        return None, members
    window = p.settings.destinations[record.destination].flood_window
    return digest_alert(record.delivery_id, record.destination, alerts, window), members


async def _keep_stories(p: Pipeline, records: list[DeliveryRecord]) -> None:
    """Dead letters are kept for 30 days and a replay rebuilds each alert from its
    story, which lives one story window: keep the stories as long as the letters
    (a digest's are its members')."""
    ids = set()
    for record in records:
        if record.kind == "digest" and record.window_end is not None:
            for member_id in await p.guard.digest_members(record.destination, record.window_end):
                member = await p.deliveries.get(member_id)
                if member is not None:
                    ids.add(member.story_id)
        elif record.story_id:
            ids.add(record.story_id)
    await p.stories.keep(ids, DEAD_LETTER_KEEP_S)


async def _dead(p: Pipeline, record: DeliveryRecord, reason: str, kind: str) -> DeliveryOutcome:
    await p.deliveries.dead_letter(record.delivery_id, record.destination, reason, p.clock())
    await _keep_stories(p, [record])
    p.metrics.deliveries.labels(kind, "dead_letter").inc()
    p.metrics.dead_letters.set(await p.deliveries.count_dead())
    log.error(
        "alert dead-lettered: %s",
        reason,
        extra={
            "delivery": record.delivery_id,
            "story": record.story_id,
            "destination": record.destination,
        },
    )
    return DeliveryOutcome("dead_letter", reason=reason)


async def disable_destination(p: Pipeline, destination: str, kind: str, reason: str) -> int:
    """A receiver said it is gone: stop sending there, dead-letter what was pending."""
    now = p.clock()
    await p.guard.disable(destination, reason, now)
    p.metrics.destinations_disabled.labels(kind).inc()
    pending = await p.deliveries.pending_for(destination)
    records = []
    for delivery_id in pending:
        await p.deliveries.dead_letter(
            delivery_id, destination, f"destination disabled: {reason}", now
        )
        record = await p.deliveries.get(delivery_id)
        if record is not None:
            records.append(record)
    await _keep_stories(p, records)
    p.metrics.dead_letters.set(await p.deliveries.count_dead())
    log.error(
        "destination DISABLED, %d pending alert(s) dead-lettered: %s "
        "(re-enable with `feedwatch deliveries replay --destination %s`)",
        len(pending),
        reason,
        destination,
        extra={"destination": destination},
    )
    return len(pending)


async def _maybe_fold(p: Pipeline, record: DeliveryRecord) -> DeliveryOutcome | None:
    """Past the flood guard's limit in a window, fold the alert into a digest."""
    if record.kind != "alert" or record.attempts > 0:
        return None
    _, _, flood_max = p.settings.destinations[record.destination].limits
    if flood_max <= 0 or record.flood_counted:
        return None
    window = p.settings.destinations[record.destination].flood_window
    count, window_end = await p.guard.count_in_window(record.destination, window, p.clock())
    await p.deliveries.mark_flood_counted(record.delivery_id)
    if count <= flood_max:
        return None
    digest_id = digest_id_for(record.destination, int(window_end))
    await p.guard.fold(record.destination, window_end, record.delivery_id)
    await p.deliveries.unpend(record.destination, record.delivery_id)
    created = await p.deliveries.create(
        digest_id,
        story_id="digest",
        destination=record.destination,
        rules=(),
        terms=(),
        snippet="",
        now=p.clock(),
        kind="digest",
        window_end=window_end,
    )
    if created:
        await p.queue.enqueue_deliver(digest_id, delay=max(0.0, window_end - p.clock()))
    log.info(
        "alert folded into the flood digest",
        extra={
            "delivery": record.delivery_id,
            "destination": record.destination,
            "digest": digest_id,
        },
    )
    return DeliveryOutcome("folded")


async def deliver(p: Pipeline, delivery_id: str) -> DeliveryOutcome:
    record = await p.deliveries.get(delivery_id)
    if record is None:
        return DeliveryOutcome("missing")
    if record.status in ("delivered", "dead", "folded"):
        return DeliveryOutcome(record.status)
    dest = p.settings.destinations.get(record.destination)
    sender = p.routing.senders.get(record.destination)
    kind = sender.type if sender else (dest.type if dest else "unknown")
    if sender is None or dest is None:
        return await _dead(
            p,
            record,
            f"destination {record.destination!r} is no longer configured or has no URL",
            kind,
        )
    disabled = (await p.guard.disabled()).get(record.destination)
    if disabled:
        return await _dead(p, record, f"destination disabled: {disabled}", kind)

    folded = await _maybe_fold(p, record)
    if folded is not None:
        return folded
    now = p.clock()
    rate, burst, _ = dest.limits
    wait = await p.guard.wait_for_rate(record.destination, rate, burst, now)
    if wait > 0:
        return DeliveryOutcome("rate_limited", retry_in=wait)
    lease = (dest.timeout or p.settings.delivery.timeout) + CLAIM_MARGIN
    claim = await p.guard.claim(delivery_id, now, lease)
    if claim is False:
        return DeliveryOutcome("finished_elsewhere")
    if claim is not True:
        return DeliveryOutcome("in_flight_elsewhere", retry_in=max(0.1, float(claim) - now))

    if record.kind == "digest":
        alert, members = await _digest_for(p, record)
    else:
        alert, members = await _alert_for(p, record), []
    if alert is None:
        reason = "the story expired before it could be delivered"
        if record.last_error:  # keep what a replay would otherwise hide
            reason += f" (last error: {record.last_error})"
        return await _dead(p, record, reason, kind)

    attempt = record.attempts + 1
    started = time.perf_counter()
    try:
        result = await sender.send(alert, now=p.clock())
    except asyncio.CancelledError:
        # A graceful stop cut the attempt short: hand the delivery back at once
        # (its outcome is unknown, so sending again is right) instead of making
        # the next worker wait out the claim.
        await asyncio.shield(p.guard.release(delivery_id))
        raise
    p.metrics.delivery_duration.labels(kind).observe(time.perf_counter() - started)
    p.metrics.delivery_attempts.labels(kind).inc()
    now = p.clock()
    outcome = classify(
        result,
        destination_type=kind,
        attempt=attempt,
        now=datetime.fromtimestamp(now, tz=UTC),
        rand=p.rand(),
        schedule=p.settings.delivery.schedule,
    )
    error = None if isinstance(outcome, Delivered) else getattr(outcome, "reason", None)
    await p.deliveries.record_attempt(delivery_id, error, now)
    extra = {
        "delivery": delivery_id,
        "story": record.story_id,
        "destination": record.destination,
        "attempt": attempt,
    }
    if isinstance(outcome, Delivered):
        await p.deliveries.mark_delivered(delivery_id, record.destination, now)
        for member in members:
            await p.deliveries.mark_delivered(member, record.destination, now)
        p.metrics.deliveries.labels(kind, "delivered").inc()
        p.metrics.alert_latency.labels(kind).observe(max(0.0, now - alert.first_seen.timestamp()))
        log.info("alert delivered", extra=extra)
        return DeliveryOutcome("delivered")
    if isinstance(outcome, RetryLater):
        await p.guard.release(delivery_id)
        p.metrics.deliveries.labels(kind, "retry").inc()
        log.warning(
            "alert delivery failed, retrying in %.1f s: %s",
            outcome.delay_seconds,
            outcome.reason,
            extra=extra,
        )
        return DeliveryOutcome("retry", retry_in=outcome.delay_seconds, reason=outcome.reason)
    if isinstance(outcome, DisableDestination):
        await _dead(p, record, outcome.reason, kind)
        await disable_destination(p, record.destination, kind, outcome.reason)
        return DeliveryOutcome("disabled", reason=outcome.reason)
    assert isinstance(outcome, DeadLetter)
    return await _dead(p, record, outcome.reason, kind)


@dataclass(frozen=True, slots=True)
class Replay:
    replayed: int
    re_enabled: tuple[str, ...]
    # Destinations the config no longer has: their dead letters are left as they are.
    unconfigured: tuple[str, ...] = ()


async def replay_dead_letters(
    p: Pipeline, *, destination: str | None = None, since: float | None = None
) -> Replay:
    """Send dead letters again (same delivery ids), re-enabling their destinations."""
    records = await p.deliveries.dead_letters(since)
    if destination:
        records = [r for r in records if r.destination == destination]
    configured = p.settings.destinations
    unconfigured = tuple(sorted({r.destination for r in records} - configured.keys()))
    records = [r for r in records if r.destination in configured]
    targets = {r.destination for r in records} | ({destination} if destination else set())
    targets &= configured.keys()
    re_enabled = tuple([d for d in sorted(targets) if await p.guard.enable(d)])
    stamp = str(int(p.clock()))
    replayed = 0
    for record in records:
        if await p.deliveries.revive(record, p.clock()):
            await p.queue.enqueue_deliver(record.delivery_id, replay=stamp)
            replayed += 1
    p.metrics.dead_letters.set(await p.deliveries.count_dead())
    return Replay(replayed, re_enabled, unconfigured)
