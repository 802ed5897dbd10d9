"""Per-host politeness shared by all workers: slots, spacing, leases, deferrals."""

from __future__ import annotations

import redis.asyncio as aioredis
from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from service.adapters.host_budget import HostBudget, host_of
from service.core.entries import feed_id_for
from service.pipeline import scheduling
from tests.integration.conftest import drain, make_settings
from tests.integration.polling_support import Clock, clocked_pipeline, due_of


async def test_a_host_gets_no_more_slots_than_its_concurrency(
    redis: aioredis.Redis,
) -> None:
    budget = HostBudget(redis, concurrency=2, spacing=0, lease_seconds=30)
    grants = [await budget.acquire("news.example", f"w{i}", 1000.0) for i in range(3)]
    assert [g.granted for g in grants] == [True, True, False]
    assert grants[2].wait > 0
    await budget.release("news.example", "w0")
    assert (await budget.acquire("news.example", "w3", 1000.5)).granted
    assert (await budget.acquire("other.example", "w4", 1000.5)).granted


async def test_fetches_to_one_host_start_no_closer_than_the_spacing(
    redis: aioredis.Redis,
) -> None:
    budget = HostBudget(redis, concurrency=10, spacing=2.0, lease_seconds=30)
    assert (await budget.acquire("news.example", "a", 1000.0)).granted
    early = await budget.acquire("news.example", "b", 1001.5)
    assert (early.granted, early.wait, early.reserved) == (False, 0.5, True)
    # a third feed queues behind b's reserved turn, not in front of it
    third = await budget.acquire("news.example", "c", 1001.9)
    assert (third.granted, third.wait) == (False, 2.1)
    assert (await budget.acquire("news.example", "b", 1002.0)).granted
    assert not (await budget.acquire("news.example", "c", 1003.0)).granted
    assert (await budget.acquire("news.example", "c", 1004.0)).granted


async def test_a_crashed_workers_slot_is_freed_when_its_lease_runs_out(
    redis: aioredis.Redis,
) -> None:
    budget = HostBudget(redis, concurrency=1, spacing=0, lease_seconds=30)
    assert (await budget.acquire("news.example", "crashed", 1000.0)).granted
    assert not (await budget.acquire("news.example", "next", 1029.0)).granted
    assert (await budget.acquire("news.example", "next", 1030.5)).granted
    assert await budget.in_flight("news.example", 1030.5) == 1


def test_the_politeness_key_is_the_host_and_a_non_default_port() -> None:
    assert host_of("https://WWW.Example.com/rss") == "www.example.com"
    assert host_of("http://127.0.0.1:8080/feeds/a.xml") == "127.0.0.1:8080"
    assert host_of("https://example.com:443/feed") == "example.com"


async def test_a_host_with_many_slow_feeds_sees_at_most_its_concurrency_and_none_fail(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    names = [f"slow{i}" for i in range(6)]
    for name in names:
        feed_server.publish(name, Item("One", f"https://{name}.example/1", "body"))
        feed_server.feed(name).delay = 0.2
    settings = make_settings(
        polling={"per_host_concurrency": 2, "per_host_spacing": 0, "total_timeout": 5},
        feeds=[{"url": feed_server.url(n)} for n in names],
    )
    ids = [feed_id_for(feed_server.url(n)) for n in names]
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await arq_redis.zadd("fw:feeds:due", dict.fromkeys(ids, clock.now))
        for _ in range(10):
            await scheduling.tick(p)
            await drain(p, arq_redis)
            if all(feed_server.requests_for(n) for n in names):
                break
            clock.advance(5)
        sample = p.metrics.registry.get_sample_value
        deferred = sample("feedwatch_fetch_deferrals_total", {"reason": "host_busy"})
        states = [await p.feeds.get(i) for i in ids]
    assert [len(feed_server.requests_for(n)) for n in names] == [1] * 6
    assert max(feed_server.max_in_flight.values()) == 2
    assert deferred is not None
    assert deferred >= 4
    assert [s.state if s else None for s in states] == ["ok"] * 6  # deferral is no error


async def test_a_feed_over_its_hosts_spacing_is_deferred_not_failed(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    names = ["a", "b", "c"]
    for name in names:
        feed_server.publish(name, Item("One", f"https://{name}.example/1", "body"))
    settings = make_settings(
        polling={"per_host_concurrency": 5, "per_host_spacing": "1m"},
        feeds=[{"url": feed_server.url(n)} for n in names],
    )
    ids = [feed_id_for(feed_server.url(n)) for n in names]
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await arq_redis.zadd("fw:feeds:due", dict.fromkeys(ids, clock.now))
        await scheduling.tick(p)
        await drain(p, arq_redis)
        started = clock.now
        states = [await p.feeds.get(i) for i in ids]
        dues = sorted([await due_of(arq_redis, i) - started for i in ids])
    assert len(feed_server.requests) == 1
    assert [s.state for s in states if s].count("new") == 2
    assert all(s is not None and s.last_error is None for s in states)
    # the two deferred come back once the spacing allows, not an error backoff later
    # each deferred feed comes back at its own reserved turn: one spacing apart
    assert [round(d, 1) for d in dues[:2]] == [60.0, 120.0]
