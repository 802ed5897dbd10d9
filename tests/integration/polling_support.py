"""A pipeline on a clock the test moves, for polling tests that span hours.

The clock starts well in the past: arq scores jobs by their enqueue time, and a
job scored in the future would not run until the wall clock caught up.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq.connections import ArqRedis

from service.pipeline import scheduling
from service.pipeline.context import Pipeline
from service.settings import Settings
from service.wiring import build_pipeline
from tests.integration.conftest import drain


class Clock:
    def __init__(self, start: float | None = None) -> None:
        self.now = start if start is not None else time.time() - 30 * 86400

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def clocked_pipeline(
    settings: Settings, redis_url: str, clock: Clock
) -> AsyncIterator[Pipeline]:
    p, resources = build_pipeline(settings, redis_url, clock=clock)
    await scheduling.sync_feeds(p)
    try:
        yield p
    finally:
        await resources.close()


async def due_of(redis: ArqRedis, feed_id: str) -> float:
    score = await redis.zscore("fw:feeds:due", feed_id)
    assert score is not None, "a feed must never leave the due set"
    return float(score)


async def poll_when_due(p: Pipeline, redis: ArqRedis, clock: Clock, feed_id: str) -> float:
    """Move the clock to the feed's due time, tick and drain; returns that due time."""
    due = await due_of(redis, feed_id)
    clock.now = max(clock.now, due)
    await scheduling.tick(p)
    await drain(p, redis)
    return due
