"""The workers take the jobs they have room for in one call (`BatchStartWorker`):
each job still runs once, never more at a time than `max_jobs`, never before it is due."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import func
from redis.asyncio import Redis

from workers.settings import BatchStartWorker

QUEUE = "test:start"


@pytest.fixture
async def clean(redis: Redis) -> None:
    """An empty database (the `redis` fixture flushes it): job ids repeat across tests."""


def _worker(redis: ArqRedis, job: Any, **overrides: Any) -> BatchStartWorker:
    kwargs: dict[str, Any] = {
        "functions": [func(job, name="job", keep_result=0)],
        "queue_name": QUEUE,
        "redis_pool": redis,
        "handle_signals": False,
        "burst": True,
        "poll_delay": 0,
        "keep_result": 0,
        "log_results": False,
    }
    kwargs.update(overrides)
    return BatchStartWorker(**kwargs)


async def _enqueue(redis: ArqRedis, count: int, **options: Any) -> None:
    for i in range(count):
        await redis.enqueue_job("job", i, _job_id=f"job-{i}", _queue_name=QUEUE, **options)


async def test_two_workers_racing_run_each_job_once(clean: None, redis_url: str) -> None:
    redis = ArqRedis.from_url(redis_url)
    ran: Counter[int] = Counter()

    async def job(ctx: dict[str, Any], i: int) -> None:
        ran[i] += 1
        await asyncio.sleep(0)

    try:
        await _enqueue(redis, 60)
        workers = [_worker(redis, job, max_jobs=7), _worker(redis, job, max_jobs=5)]
        await asyncio.gather(*(w.async_run() for w in workers))
        assert ran == Counter(range(60))
        assert sum(w.jobs_complete for w in workers) == 60
    finally:
        await redis.aclose()


async def test_a_worker_runs_no_more_jobs_at_once_than_max_jobs(
    clean: None, redis_url: str
) -> None:
    redis = ArqRedis.from_url(redis_url)
    changed = asyncio.Condition()
    gate = asyncio.Event()
    running, peak, done = 0, 0, 0

    async def job(ctx: dict[str, Any], i: int) -> None:
        nonlocal running, peak, done
        async with changed:
            running += 1
            peak = max(peak, running)
            changed.notify_all()
        await gate.wait()
        running -= 1
        done += 1

    try:
        await _enqueue(redis, 10)
        worker = _worker(redis, job, max_jobs=3)
        task = asyncio.create_task(worker.async_run())
        async with changed:
            await changed.wait_for(lambda: running == 3)
        assert await redis.zcard(QUEUE) == 10  # all still queued: three held, seven waiting
        gate.set()
        await task
        assert (peak, done) == (3, 10)
    finally:
        await redis.aclose()


async def test_a_job_deferred_to_later_is_not_started_early(clean: None, redis_url: str) -> None:
    redis = ArqRedis.from_url(redis_url)
    ran: list[int] = []

    async def job(ctx: dict[str, Any], i: int) -> None:
        ran.append(i)

    try:
        await _enqueue(redis, 1)
        await redis.enqueue_job("job", 99, _job_id="later", _queue_name=QUEUE, _defer_by=3600)
        worker = _worker(redis, job)
        # Both ids, as if "later" had been deferred after the worker read the queue.
        await worker.start_jobs([b"job-0", b"later"])
        assert set(worker.tasks) == {"job-0"}
        await asyncio.gather(*worker.tasks.values())
        assert ran == [0]
        assert await redis.zrange(QUEUE, 0, -1) == [b"later"]
    finally:
        await redis.aclose()
