"""Delivery against real receivers that fail, throttle, hang, or say they are gone."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis

from demo.receiver import Answer, Receiver
from service.adapters import redis_keys as K
from service.adapters.redis_store import DEAD_LETTER_KEEP_S
from service.core.alerts import Copy, delivery_id_for
from service.pipeline.context import Pipeline
from service.pipeline.delivering import deliver, replay_dead_letters
from service.settings import Settings
from tests.integration.conftest import WHSEC, PipelineFactory, drain, make_settings
from workers.settings import make_worker

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def hook_settings(
    receiver: Receiver, delivery: dict[str, Any] | None = None, **destination: Any
) -> Settings:
    dest = {"type": "webhook", "url": receiver.url("hook"), "secret": WHSEC, **destination}
    extra = {"delivery": delivery} if delivery else {}
    return make_settings(
        destinations={"hook": dest},
        rules=[{"name": "nato", "query": "NATO", "notify": ["hook"]}],
        **extra,
    )


async def queue_alert(
    p: Pipeline, story: str, destination: str = "hook", delay: float = 0.0
) -> str:
    """A story with one pending delivery, as the process stage leaves it."""
    now = p.clock()
    await p.stories.create(
        story,
        title=f"NATO story {story}",
        link=f"https://x.example/{story}",
        outlet="x.example",
        first_seen=now,
        published=None,
    )
    delivery_id = delivery_id_for(story, destination)
    assert await p.deliveries.create(
        delivery_id,
        story_id=story,
        destination=destination,
        rules=["nato"],
        terms=["NATO"],
        snippet="NATO …",
        now=now,
    )
    await p.queue.enqueue_deliver(delivery_id, delay=delay)
    return delivery_id


async def test_429_with_retry_after_defers_the_retry_at_least_that_long(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.answer(Answer(429, headers={"Retry-After": "120"}))
    schedule = {"hold": 0, "retry_schedule": ["1s", "10m"]}
    async with pipeline_for(hook_settings(receiver, delivery=schedule)) as p:
        delivery_id = await queue_alert(p, "st_429")
        before = time.time()
        worker = make_worker("deliver", p, arq_redis, burst=True, poll_delay=0, max_burst_jobs=1)
        await worker.main()
        score = await arq_redis.zscore("feedwatch:deliver", f"deliver:{delivery_id}")
    assert score is not None
    assert score / 1000 >= before + 120
    assert [r.status for r in receiver.received] == [429]


async def test_receiver_that_hangs_times_out_and_is_retried(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.answer(Answer(hang=True))
    async with pipeline_for(hook_settings(receiver, timeout=0.3)) as p:
        delivery_id = await queue_alert(p, "st_hang")
        await drain(p, arq_redis)
        record = await p.deliveries.get(delivery_id)
        retries = p.metrics.registry.get_sample_value(
            "feedwatch_deliveries_total", {"destination_type": "webhook", "outcome": "retry"}
        )
    assert record is not None
    assert record.status == "delivered"
    assert record.attempts == 2
    assert retries == 1
    assert len(receiver.accepted()) == 1


async def test_410_disables_the_destination_and_dead_letters_what_was_pending(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.default = Answer(410, body="gone")
    async with pipeline_for(hook_settings(receiver)) as p:
        first = await queue_alert(p, "st_a")
        # Two more wait out the delivery hold while the first is answered 410.
        held = [await queue_alert(p, story, delay=600) for story in ("st_b", "st_c")]
        worker = make_worker("deliver", p, arq_redis, burst=True, poll_delay=0, max_burst_jobs=1)
        await worker.main()
        records = [await p.deliveries.get(d) for d in (first, *held)]
        disabled = await p.guard.disabled()
        dead = {r.delivery_id: r.last_error or "" for r in await p.deliveries.dead_letters()}
        disables = p.metrics.registry.get_sample_value(
            "feedwatch_destination_disables_total", {"destination_type": "webhook"}
        )
        # When the held jobs come due they find their deliveries finished: nothing is sent.
        for delivery_id in held:
            outcome = await deliver(p, delivery_id)
            assert outcome.outcome == "dead"
    assert len(receiver.received) == 1
    assert all(r is not None and r.status == "dead" for r in records)
    assert "hook" in disabled
    assert set(dead) == {first, *held}
    assert all("destination disabled" in dead[d] for d in held)
    assert disables == 1


async def test_a_burst_of_200_matches_to_slack_keeps_the_rate_folds_the_rest_and_loses_none(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    rate, flood_max, window = 20.0, 50, 3
    settings = make_settings(
        destinations={
            "ops": {
                "type": "slack",
                "url": receiver.url("slack"),
                "rate": rate,
                "burst": 1,
                "flood_max": flood_max,
                "flood_window": window,
            }
        },
        rules=[{"name": "nato", "query": "NATO", "notify": ["ops"]}],
    )
    async with pipeline_for(settings) as p:
        ids = [await queue_alert(p, f"st_{i:03d}", "ops") for i in range(200)]
        await drain(p, arq_redis, rounds=50)
        records = [await p.deliveries.get(d) for d in ids]
    assert all(r is not None and r.status == "delivered" for r in records), "an alert was lost"
    messages = receiver.accepted()
    digests = [m for m in messages if "flood guard" in m.json["text"]]
    singles = [m for m in messages if "flood guard" not in m.json["text"]]
    assert digests, "no digest was sent"
    assert len(singles) <= flood_max * 3  # at most the flood allowance of the windows spanned
    folded = sum(int(m.json["text"].split()[0]) for m in digests)
    assert len(singles) + folded == 200
    # In any one second the receiver saw no more than the rate allows (plus the burst).
    arrivals = sorted(m.arrived for m in messages)
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= rate + 1


async def test_dead_letters_replay_re_enables_and_delivers_with_the_same_id(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.answer(Answer(400, body="bad"))
    async with pipeline_for(hook_settings(receiver)) as p:
        delivery_id = await queue_alert(p, "st_replay")
        await drain(p, arq_redis)
        assert len(await p.deliveries.dead_letters()) == 1
        replay = await replay_dead_letters(p, destination="hook")
        assert replay.replayed == 1
        await drain(p, arq_redis)
        final = await p.deliveries.get(delivery_id)
    assert final is not None
    assert final.status == "delivered"
    assert [r.status for r in receiver.received] == [400, 200]
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery_id}


async def _story_ttls(redis: Any, story: str) -> list[int]:
    return [await redis.ttl(K.story(story)), await redis.ttl(K.story_copies(story))]


async def test_a_dead_letter_keeps_its_story_for_a_replay_past_the_story_window(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
    redis: Any,
) -> None:
    receiver.answer(Answer(400, body="bad"))
    window = 3 * 86400
    async with pipeline_for(hook_settings(receiver)) as p:
        await queue_alert(p, "st_kept")
        await p.stories.add_copy("st_kept", Copy("x.example", "https://x.example/1", NOW))
        assert all(0 < ttl <= window for ttl in await _story_ttls(redis, "st_kept"))
        await drain(p, arq_redis)
        assert len(await p.deliveries.dead_letters()) == 1
        kept = await _story_ttls(redis, "st_kept")
        # A later copy keeps the story a window from now, and never shortens it.
        await p.stories.add_copy("st_kept", Copy("y.example", "https://y.example/1", NOW))
        after_copy = await _story_ttls(redis, "st_kept")
        await p.stories.create(
            "st_kept", title="x", link=None, outlet="z", first_seen=p.clock(), published=None
        )
        after_create = await _story_ttls(redis, "st_kept")
    month = DEAD_LETTER_KEEP_S
    assert all(month - 60 < ttl <= month for ttl in kept + after_copy + after_create)


async def test_alerts_dead_lettered_by_a_disabled_destination_keep_their_stories(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
    redis: Any,
) -> None:
    receiver.default = Answer(410, body="gone")
    async with pipeline_for(hook_settings(receiver)) as p:
        await queue_alert(p, "st_gone")
        await queue_alert(p, "st_held", delay=600)
        worker = make_worker("deliver", p, arq_redis, burst=True, poll_delay=0, max_burst_jobs=1)
        await worker.main()
        assert len(await p.deliveries.dead_letters()) == 2
        ttls = await _story_ttls(redis, "st_gone") + await _story_ttls(redis, "st_held")
    story_ttls = ttls[0::2]  # the story hashes (the copy lists were never written)
    assert all(DEAD_LETTER_KEEP_S - 60 < ttl <= DEAD_LETTER_KEEP_S for ttl in story_ttls)


async def test_replay_leaves_dead_letters_of_a_destination_the_config_dropped(
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.answer(Answer(400, body="bad"))
    async with pipeline_for(hook_settings(receiver)) as p:
        delivery_id = await queue_alert(p, "st_dropped")
        await drain(p, arq_redis)
        p.settings = make_settings(destinations={"console": {"type": "console"}})
        replay = await replay_dead_letters(p)
        dead = [r.delivery_id for r in await p.deliveries.dead_letters()]
    assert replay.replayed == 0
    assert replay.unconfigured == ("hook",)
    assert replay.re_enabled == ()
    assert dead == [delivery_id]
