"""The scheduler tick: due feeds from the sorted set to the fetch queue, bounded
by the queue's depth (backpressure), and the polling policy built from settings."""

from __future__ import annotations

import functools
import logging

from service.adapters import redis_keys as K
from service.adapters.feed_store import FeedRecord
from service.adapters.job_queue import FETCH_JOB
from service.core.schedule import PollPolicy
from service.pipeline.context import Pipeline, feed_hosts
from service.settings import FeedSettings, PollingSettings

log = logging.getLogger(__name__)

FIRST_POLL_SPREAD = 10.0
# At most this many claims per tick, whatever the batch size: a tick stays short.
MAX_ROUNDS_PER_TICK = 20
# The shortest wait between two ticks, when a feed comes due sooner than `tick`.
MIN_TICK_GAP = 0.05


_DEFAULTS = PollPolicy()


@functools.lru_cache(maxsize=8)
def poll_policy(polling: PollingSettings) -> PollPolicy:
    """The global polling policy; `PollPolicy.for_feed` narrows it per feed."""
    cap = polling.max_error_backoff
    return PollPolicy(
        min_interval=polling.min_interval,
        max_interval=polling.max_interval,
        default_interval=min(max(polling.interval, polling.min_interval), polling.max_interval),
        # Errors back off from twice the usual interval (5 min at most), so a
        # short-interval setup retries a failing feed soon.
        error_base=min(_DEFAULTS.error_base, 2 * polling.interval, cap),
        error_cap=cap,
        gone_interval=min(_DEFAULTS.gone_interval, cap),
        unconditional_every=polling.unconditional_every,
    )


def feed_records(feeds: tuple[FeedSettings, ...]) -> list[FeedRecord]:
    return [
        FeedRecord(
            feed_id=f.feed_id,
            url=f.url,
            name=f.name,
            tags=f.tags,
            interval=f.interval,
            backfill=f.backfill,
            min_interval=f.min_interval,
            max_interval=f.max_interval,
        )
        for f in feeds
    ]


async def sync_feeds(p: Pipeline) -> None:
    """Register the configured feeds; new ones are due soon, spread over a few seconds."""
    now = p.clock()
    records = feed_records(p.settings.feed_list)
    spread = min(FIRST_POLL_SPREAD, p.settings.polling.interval)
    first_due = {r.feed_id: now + p.rand() * spread for r in records}
    removed = await p.feeds.sync(records, first_due)
    p.routing.feed_tags = {r.feed_id: r.tags for r in records}
    p.routing.feed_hosts = feed_hosts(p.settings.feed_list)
    for feed_id in removed:
        log.info("feed removed from config", extra={"feed": feed_id})


def fetch_lease(p: Pipeline) -> float:
    """How long a claimed feed stays off the due set if its fetch never reports back."""
    return 4 * p.settings.polling.total_timeout + 60


async def tick(p: Pipeline) -> int:
    """Enqueue due feeds, once each, without letting the fetch queue grow past
    `polling.max_queue`; returns how many were enqueued.

    Feeds held back by the bound stay due and are taken by a later tick, oldest
    first; the tick counts itself in `feedwatch_scheduler_backpressure_total`.
    """
    polling = p.settings.polling
    enqueued = 0
    held_back = False
    overdue = 0
    for _ in range(MAX_ROUNDS_PER_TICK):
        now = p.clock()
        claimed = await p.feeds.claim_and_enqueue(
            now,
            limit=polling.batch,
            lease_until=now + fetch_lease(p),
            queue=K.QUEUE_FETCH,
            function=FETCH_JOB,
            max_queue=polling.max_queue,
            per_job=polling.feeds_per_job,
        )
        for _, due_at in claimed.feeds:
            p.metrics.scheduler_lag.observe(max(0.0, now - due_at))
        enqueued += len(claimed.feeds)
        if claimed.deferred:
            p.metrics.fetch_deferrals.labels("host_busy").inc(claimed.deferred)
        held_back, overdue = claimed.held_back, claimed.overdue
        if held_back or claimed.examined < polling.batch:
            break
    p.metrics.feeds_overdue.set(overdue)
    if held_back:
        p.metrics.scheduler_backpressure.inc()
        log.info(
            "fetch queue at its bound (%d): %d due feed(s) wait for a later tick",
            polling.max_queue,
            overdue,
        )
    p.metrics.scheduler_ticks.inc()
    return enqueued


async def next_tick_in(p: Pipeline, tick_began: float) -> float:
    """Seconds until the next tick: `polling.tick`, or less when a feed comes due
    before that (a feed given its host's turn 0.2 s from now is then fetched at its
    turn, not up to a whole tick late). Feeds the tick begun at `tick_began` saw
    due and left waiting (held back by the queue bound, or past its rounds) get no
    early tick: the usual tick takes them."""
    tick_s = p.settings.polling.tick
    first = await p.feeds.next_due()
    if first is None or first <= tick_began:
        return tick_s
    return min(tick_s, max(MIN_TICK_GAP, first - p.clock()))
