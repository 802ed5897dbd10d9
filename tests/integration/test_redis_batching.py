"""The fetch path's Redis calls leave together (`AutoPipeline`) and its seen sets
hold entry hashes: each call still gets its own answer, and nothing already seen
before either change is seen as new."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from service.adapters import redis_keys as K
from service.adapters.feed_store import FeedStore
from service.adapters.redis_async import AutoPipeline


async def test_calls_made_together_each_get_their_own_reply_in_order(redis: Redis) -> None:
    batch = AutoPipeline(redis)
    replies = await asyncio.gather(*(batch.execute("INCR", "counter") for _ in range(50)))
    assert replies == list(range(1, 51))


async def test_a_failing_call_fails_alone(redis: Redis) -> None:
    batch = AutoPipeline(redis)
    await redis.set("text", "not a number")
    replies: list[object] = await asyncio.gather(
        batch.execute("INCR", "n"),
        batch.execute("INCR", "text"),
        batch.execute("ZADD", "z", 1, "a"),
        return_exceptions=True,
    )
    assert (replies[0], replies[2]) == (1, 1)
    assert isinstance(replies[1], ResponseError)


async def test_a_script_redis_has_lost_is_loaded_again(redis: Redis) -> None:
    script = AutoPipeline(redis).script("return tonumber(ARGV[1]) + #KEYS")
    assert await script(keys=["a", "b"], args=[40]) == 42
    await redis.script_flush()  # as after a restart without persistence
    assert list(await asyncio.gather(script(keys=["a"], args=[1]), script(args=[2]))) == [2, 2]


async def test_an_entry_in_a_seen_set_written_before_hashing_is_still_seen(
    redis: Redis,
) -> None:
    store = FeedStore(redis)
    # Seen sets used to hold the entry keys themselves.
    await redis.zadd(K.feed_seen("f1"), {"g:https://outlet.example/old": 1_700_000_000.5})
    await store.mark_seen("f1", ["g:https://outlet.example/new"], now=1_800_000_000)
    seen = await store.seen(
        "f1",
        ["g:https://outlet.example/old", "g:https://outlet.example/new", "l:https://x.example/"],
    )
    assert seen == [True, True, False]


async def test_a_seen_set_keeps_the_newest_entries_up_to_its_cap(redis: Redis) -> None:
    cap = 100
    store = FeedStore(redis, seen_per_feed=cap)
    await store.mark_seen("f1", [f"g:{i}" for i in range(cap)], now=1_000)
    await store.mark_seen("f1", [f"g:new{i}" for i in range(10)], now=2_000)
    assert await redis.zcard(K.feed_seen("f1")) == cap
    assert await store.seen("f1", ["g:new0", "g:new9"]) == [True, True]
