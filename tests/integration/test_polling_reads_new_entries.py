"""A changed feed is read entry by entry as far as its seen set requires."""

from __future__ import annotations

import logging

import pytest
from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from tests.integration.conftest import PipelineFactory, make_settings, poll_all


def _item(n: int, extra_xml: str = "") -> Item:
    link = f"https://wire.example/{n}"
    return Item(f"Story {n}", link, f"Body {n}.", extra_xml=extra_xml)


async def test_new_entry_the_fast_path_cannot_read_goes_on_through_feedparser(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    feed_server.publish("wire", _item(1))
    async with pipeline_for(make_settings(feeds=[{"url": feed_server.url("wire")}])) as p:
        await poll_all(p, arq_redis)  # the first poll records entry 1
        # Entry 2 has an empty category: its key reads fine, its text makes the
        # fast path decline, and the feed must then be read by feedparser.
        feed_server.publish("wire", _item(2, "<category></category>"))
        await poll_all(p, arq_redis)
        feed_server.publish("wire", _item(3))
        await poll_all(p, arq_redis)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_entries_new_total") == 2  # entries 2 and 3, once each
        assert sample("feedwatch_feed_parse_total", {"path": "feedparser"}) == 1
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 2


async def test_entries_already_seen_are_not_sent_again_when_the_feed_changes(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    feed_server.publish("wire", _item(1))
    async with pipeline_for(make_settings(feeds=[{"url": feed_server.url("wire")}])) as p:
        await poll_all(p, arq_redis)
        feed_server.publish("wire", _item(2))
        await poll_all(p, arq_redis)
        feed_server.publish("wire", _item(3))
        await poll_all(p, arq_redis)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_entries_new_total") == 2
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 3


async def test_a_feed_giving_every_entry_one_guid_loses_none_of_them(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    feed_server.publish("wire", Item("Old", "https://wire.example/old", "old", guid="same"))
    feed_server.publish("wire", Item("Older", "https://wire.example/older", "x", guid="same"))
    async with pipeline_for(make_settings(feeds=[{"url": feed_server.url("wire")}])) as p:
        await poll_all(p, arq_redis)  # the first poll records what is there
        sample = p.metrics.registry.get_sample_value
        feed_server.publish("wire", Item("A", "https://wire.example/a", "one", guid="same"))
        feed_server.publish("wire", Item("B", "https://wire.example/b", "two", guid="same"))
        await poll_all(p, arq_redis)
        assert sample("feedwatch_entries_new_total") == 2
        feed_server.publish("wire", Item("C", "https://wire.example/c", "three", guid="same"))
        await poll_all(p, arq_redis)
        assert sample("feedwatch_entries_new_total") == 3


async def test_an_entry_a_feed_repeats_whole_is_read_once_and_warned_about(
    feed_server: FeedServer,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed_server.publish("wire", Item("A", "https://wire.example/a", "one", guid="same"))
    feed_server.publish("wire", Item("A", "https://wire.example/a", "one", guid="same"))
    async with pipeline_for(make_settings(feeds=[{"url": feed_server.url("wire")}])) as p:
        with caplog.at_level(logging.WARNING, logger="service.pipeline.fetching"):
            await poll_all(p, arq_redis)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "1 of the feed's entries repeat another entry's id (GUID, else link) and are not read"
    ]
