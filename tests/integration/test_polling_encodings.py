"""gzip, deflate and br bodies are decoded; the size cap counts decoded bytes."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from service.core.entries import feed_id_for
from tests.integration.conftest import PipelineFactory, make_settings, poll_all


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_a_compressed_feed_is_decoded_and_read(
    encoding: str, feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    feed_server.publish("packed", Item("One", "https://packed.example/1", "body"))
    feed_server.feed("packed").encoding = encoding
    settings = make_settings(feeds=[{"url": feed_server.url("packed")}])
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        state = await p.feeds.get(feed_id_for(feed_server.url("packed")))
        parsed = p.metrics.registry.get_sample_value("feedwatch_feed_parse_total", {"path": "fast"})
    assert state is not None
    assert state.state == "ok"
    assert parsed == 1


async def test_a_small_br_body_that_decodes_past_the_cap_is_refused(
    feed_server: FeedServer, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    bomb = feed_server.feed("bomb")
    bomb.items.append(Item("One", "https://bomb.example/1", "x" * (3 * 1024 * 1024)))
    bomb.encoding = "br"
    settings = make_settings(feeds=[{"url": feed_server.url("bomb")}])  # 2 MiB cap
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        state = await p.feeds.get(feed_id_for(feed_server.url("bomb")))
        read = p.metrics.registry.get_sample_value("feedwatch_fetched_bytes_total")
    assert state is not None
    assert state.state == "failing"
    assert state.last_error == f"body is over the {2 * 1024 * 1024} byte cap (after decompression)"
    assert read is not None
    assert read <= 2 * 1024 * 1024 + 64 * 1024
