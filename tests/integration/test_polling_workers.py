"""Two or more workers on one Redis fetch each due feed once; the tick respects the
fetch queue's bound."""

from __future__ import annotations

import asyncio

from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from service.adapters.job_queue import ArqJobQueue
from service.core.entries import feed_id_for
from service.pipeline import scheduling
from tests.integration.conftest import PipelineFactory, drain, make_settings


async def test_two_workers_ticking_and_draining_together_fetch_each_feed_once(
    feed_server: FeedServer, redis_url: str, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    names = [f"f{i}" for i in range(40)]
    for name in names:
        feed_server.publish(name, Item("One", f"https://{name}.example/1", "body"))
    settings = make_settings(feeds=[{"url": feed_server.url(n)} for n in names])
    ids = [feed_id_for(feed_server.url(n)) for n in names]
    async with pipeline_for(settings) as first, pipeline_for(settings) as second:
        second_redis = ArqRedis.from_url(redis_url)
        try:
            await arq_redis.zadd("fw:feeds:due", dict.fromkeys(ids, first.clock() - 1))
            counts = await asyncio.gather(scheduling.tick(first), scheduling.tick(second))
            await asyncio.gather(drain(first, arq_redis), drain(second, second_redis))
            # and again: nothing is due any more, so nothing is fetched twice
            await asyncio.gather(scheduling.tick(first), scheduling.tick(second))
            await asyncio.gather(drain(first, arq_redis), drain(second, second_redis))
        finally:
            await second_redis.aclose()
        fetched = [
            p.metrics.registry.get_sample_value(
                "feedwatch_fetches_total", {"outcome": "ok", "status_class": "2xx"}
            )
            or 0
            for p in (first, second)
        ]
    assert sum(counts) == 40
    assert [len(feed_server.requests_for(n)) for n in names] == [1] * 40
    assert sum(fetched) == 40


async def test_feeds_share_fetch_jobs_and_the_bound_counts_jobs(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    names = [f"f{i}" for i in range(10)]
    for name in names:
        feed_server.publish(name, Item("One", f"https://{name}.example/1", "body"))
    base = make_settings().polling.model_dump()
    settings = make_settings(
        polling={**base, "max_queue": 2, "batch": 100, "feeds_per_job": 3},
        feeds=[{"url": feed_server.url(n)} for n in names],
    )
    ids = [feed_id_for(feed_server.url(n)) for n in names]
    queue = ArqJobQueue(arq_redis)
    async with pipeline_for(settings) as p:
        await arq_redis.zadd("fw:feeds:due", dict.fromkeys(ids, p.clock() - 1))
        first = await scheduling.tick(p)
        depth = (await queue.depths())["fetch"]
        await drain(p, arq_redis)
        rest = [await scheduling.tick(p)]
        await drain(p, arq_redis)
        rest.append(await scheduling.tick(p))
        await drain(p, arq_redis)
        states = [await p.feeds.get(i) for i in ids]
    assert (first, depth) == (6, 2)  # two jobs of three feeds
    assert first + sum(rest) == 10
    assert [len(feed_server.requests_for(n)) for n in names] == [1] * 10
    assert [s.state if s else None for s in states] == ["ok"] * 10


async def test_the_tick_enqueues_only_up_to_the_queue_bound_and_says_so(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    names = [f"f{i}" for i in range(10)]
    for name in names:
        feed_server.publish(name, Item("One", f"https://{name}.example/1", "body"))
    base = make_settings().polling.model_dump()
    settings = make_settings(
        polling={**base, "max_queue": 4, "batch": 100, "feeds_per_job": 1},
        feeds=[{"url": feed_server.url(n)} for n in names],
    )
    ids = [feed_id_for(feed_server.url(n)) for n in names]
    queue = ArqJobQueue(arq_redis)
    async with pipeline_for(settings) as p:
        await arq_redis.zadd("fw:feeds:due", dict.fromkeys(ids, p.clock() - 1))
        enqueued = [await scheduling.tick(p)]
        depth = (await queue.depths())["fetch"]
        enqueued.append(await scheduling.tick(p))  # the queue is still full
        sample = p.metrics.registry.get_sample_value
        held = sample("feedwatch_scheduler_backpressure_total")
        overdue = sample("feedwatch_feeds_overdue")
        while sum(enqueued) < 10:
            await drain(p, arq_redis)
            enqueued.append(await scheduling.tick(p))
        await drain(p, arq_redis)
    assert enqueued[:2] == [4, 0]
    assert depth == 4
    assert held == 2
    assert overdue == 6
    assert sum(enqueued) == 10
    assert [len(feed_server.requests_for(n)) for n in names] == [1] * 10
