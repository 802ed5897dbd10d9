"""The whole pipeline on a real Redis, real feed servers and real receivers."""

from __future__ import annotations

import asyncio

from arq.connections import ArqRedis
from standardwebhooks.webhooks import Webhook

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Answer, Receiver
from service.core.entries import Entry, feed_id_for
from service.pipeline import processing
from tests.integration.conftest import WHSEC, PipelineFactory, make_settings, poll_all


def two_outlet_settings(feed_server: FeedServer, receiver: Receiver):  # type: ignore[no-untyped-def]
    return make_settings(
        feeds=[
            {"url": feed_server.url("wire"), "name": "wire"},
            {"url": feed_server.url("aggregator"), "name": "aggregator"},
        ],
        destinations={
            "siem": {"type": "webhook", "url": receiver.url("siem"), "secret": WHSEC},
            "ops": {"type": "slack", "url": receiver.url("slack")},
        },
        rules=[
            {
                "name": "ceasefire",
                "query": 'ceasefire OR "cease-fire" OR truce',
                "notify": ["siem", "ops"],
            },
            {"name": "nato", "query": "NATO", "notify": ["siem"]},
        ],
    )


def nato_item() -> Item:
    return Item(stories.NATO_TITLE, "https://wirenews.example/nato", stories.NATO_BODY)


def seed_items() -> tuple[Item, Item]:
    original = Item(
        stories.ORIGINAL_TITLE,
        "https://www.wirenews.example/world/geneva-talks",
        stories.ORIGINAL_BODY,
    )
    copy = Item(
        stories.ORIGINAL_TITLE, "https://aggregator.example/2026/geneva-talks", stories.COPY_BODY
    )
    return original, copy


async def test_seed_copy_with_courtesy_footer_gives_one_alert_per_destination_naming_both_outlets(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.publish("wire", Item("Old wire story", "https://www.wirenews.example/old", "x"))
    feed_server.feed("aggregator")
    settings = two_outlet_settings(feed_server, receiver)
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)  # first poll: records what is there
        original, copy = seed_items()
        feed_server.publish("wire", original)
        feed_server.publish("aggregator", copy)
        await poll_all(p, arq_redis)

    by_path: dict[str, list[object]] = {}
    for got in receiver.accepted():
        by_path.setdefault(got.path, []).append(got)
    assert sorted(by_path) == ["/siem", "/slack"]
    assert len(by_path["/siem"]) == 1
    assert len(by_path["/slack"]) == 1
    hook = next(r for r in receiver.accepted() if r.path == "/siem")
    data = hook.json["data"]
    assert data["rules"] == ["ceasefire"]
    assert set(data["outlets"]) == {"wirenews.example", "aggregator.example"}
    credited = [c["credits"] for c in data["copies"] if c["outlet"] == "aggregator.example"]
    assert credited == ["wirenews.example"]
    slack = next(r for r in receiver.accepted() if r.path == "/slack").json
    assert "wirenews.example" in slack["text"]


async def test_webhook_alert_is_signed_and_verifies_with_standardwebhooks(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    async with pipeline_for(two_outlet_settings(feed_server, receiver)) as p:
        await poll_all(p, arq_redis)
        feed_server.publish("wire", nato_item())
        await poll_all(p, arq_redis)
    [hook] = [r for r in receiver.accepted() if r.path == "/siem"]
    payload = Webhook(WHSEC).verify(hook.body, hook.headers)
    assert payload["type"] == "story.matched"
    assert payload["data"]["rules"] == ["nato"]
    assert hook.headers["webhook-id"] == payload["data"]["delivery_id"]


async def test_new_feed_alerts_on_nothing_already_in_it_and_restart_re_alerts_nothing(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.publish("wire", nato_item())
    feed_server.feed("aggregator")
    settings = two_outlet_settings(feed_server, receiver)
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        assert (
            p.metrics.registry.get_sample_value(
                "feedwatch_fetches_total", {"outcome": "ok", "status_class": "2xx"}
            )
            == 2
        )
    assert receiver.received == []
    # A restart: a new process on the same Redis, the feed unchanged but served
    # without validators, so it is fetched and parsed again in full.
    feed_server.feeds["wire"].etag_enabled = False
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        assert p.metrics.registry.get_sample_value("feedwatch_entries_new_total") == 0
    assert receiver.received == []


async def test_backfill_alerts_on_the_newest_entries_of_a_new_feed(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.publish("wire", Item("NATO older", "https://wirenews.example/1", "NATO a b c"))
    feed_server.publish("wire", Item("NATO newer", "https://wirenews.example/2", "NATO d e f"))
    settings = make_settings(
        feeds=[{"url": feed_server.url("wire"), "backfill": 1}],
        destinations={"hook": {"type": "webhook", "url": receiver.url(), "secret": WHSEC}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["hook"]}],
    )
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
    assert [r.json["data"]["title"] for r in receiver.accepted()] == ["NATO newer"]


async def test_receiver_failing_three_times_gets_the_alert_once_with_the_same_webhook_id(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    receiver.answer(Answer(500), Answer(500), Answer(500))
    async with pipeline_for(two_outlet_settings(feed_server, receiver)) as p:
        await poll_all(p, arq_redis)
        feed_server.publish("wire", nato_item())
        await poll_all(p, arq_redis)
        assert (
            p.metrics.registry.get_sample_value(
                "feedwatch_deliveries_total", {"destination_type": "webhook", "outcome": "retry"}
            )
            == 3
        )
    attempts = [r for r in receiver.received if r.path == "/siem"]
    assert [r.status for r in attempts] == [500, 500, 500, 200]
    assert len({r.headers["webhook-id"] for r in attempts}) == 1


async def test_receiver_answering_400_leaves_a_dead_letter_with_the_reason(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    receiver.answer(Answer(400, body="invalid payload: missing field"))
    async with pipeline_for(two_outlet_settings(feed_server, receiver)) as p:
        await poll_all(p, arq_redis)
        feed_server.publish("wire", nato_item())
        await poll_all(p, arq_redis)
        [dead] = await p.deliveries.dead_letters()
    assert len(receiver.received) == 1
    assert dead.destination == "siem"
    assert dead.last_error is not None
    assert "HTTP 400" in dead.last_error
    assert "missing field" in dead.last_error


async def test_two_copies_processed_at_the_same_moment_by_two_workers_give_one_alert(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    settings = two_outlet_settings(feed_server, receiver)
    original, copy = seed_items()
    entries = [
        Entry(
            feed_id_for(feed_server.url("wire")),
            original.link,
            original.link,
            original.title,
            summary=original.body,
        ),
        Entry(
            feed_id_for(feed_server.url("aggregator")),
            copy.link,
            copy.link,
            copy.title,
            summary=copy.body,
        ),
    ]
    async with pipeline_for(settings) as worker_a, pipeline_for(settings) as worker_b:
        reports = await asyncio.gather(
            processing.process_entry(worker_a, entries[0]),
            processing.process_entry(worker_b, entries[1]),
        )
    assert reports[0].story_id == reports[1].story_id
    assert sorted(r.is_new_story for r in reports) == [False, True]
    created = [d for r in reports for d in r.deliveries_created]
    assert len(created) == 2  # one per destination (siem, ops), not per copy
