"""The scheduler tick: due feeds from the sorted set to the fetch queue."""

from __future__ import annotations

import logging

from service.adapters.redis_store import FeedRecord
from service.pipeline.context import Pipeline
from service.settings import FeedSettings

log = logging.getLogger(__name__)

FIRST_POLL_SPREAD = 10.0


def feed_records(feeds: tuple[FeedSettings, ...], default_interval: float) -> list[FeedRecord]:
    return [
        FeedRecord(
            feed_id=f.feed_id,
            url=f.url,
            name=f.name,
            tags=f.tags,
            interval=f.interval if f.interval is not None else default_interval,
            backfill=f.backfill,
        )
        for f in feeds
    ]


async def sync_feeds(p: Pipeline) -> None:
    """Register the configured feeds; new ones are due soon, spread over a few seconds."""
    now = p.clock()
    records = feed_records(p.settings.feed_list, p.settings.polling.interval)
    spread = min(FIRST_POLL_SPREAD, p.settings.polling.interval)
    first_due = {r.feed_id: now + p.rand() * spread for r in records}
    removed = await p.feeds.sync(records, first_due)
    p.routing.feed_tags = {r.feed_id: r.tags for r in records}
    for feed_id in removed:
        log.info("feed removed from config", extra={"feed": feed_id})


def fetch_lease(p: Pipeline) -> float:
    """How long a claimed feed stays off the due set if its fetch never reports back."""
    return 4 * p.settings.polling.total_timeout + 60


async def tick(p: Pipeline) -> int:
    """Enqueue every due feed once; returns how many were enqueued."""
    now = p.clock()
    due = await p.feeds.claim_due(now, p.settings.polling.batch, now + fetch_lease(p))
    for feed_id, due_at in due:
        p.metrics.scheduler_lag.observe(max(0.0, now - due_at))
        await p.queue.enqueue_fetch(feed_id, due_at)
    p.metrics.scheduler_ticks.inc()
    return len(due)
