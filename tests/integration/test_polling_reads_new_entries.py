"""A changed feed is read entry by entry as far as its seen set requires."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from arq.connections import ArqRedis

from tests.integration.conftest import PipelineFactory, make_settings, poll_all


def _rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Wire</title><link>https://wire.example/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def _item(n: int, extra: str = "") -> str:
    return (
        f"<item><title>Story {n}</title><link>https://wire.example/{n}</link>"
        f"<guid>https://wire.example/{n}</guid><description>Body {n}.</description>"
        f"{extra}</item>"
    )


@pytest.fixture
async def wire() -> AsyncIterator[tuple[str, dict[str, bytes]]]:
    served = {"body": _rss([_item(1)])}

    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=served["body"], content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/feed", served
    await runner.cleanup()


async def test_new_entry_the_fast_path_cannot_read_goes_on_through_feedparser(
    wire: tuple[str, dict[str, bytes]], pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    url, served = wire
    async with pipeline_for(make_settings(feeds=[{"url": url}])) as p:
        await poll_all(p, arq_redis)  # the first poll records entry 1
        # Entry 2 has an empty category: its key reads fine, its text makes the
        # fast path decline, and the feed must then be read by feedparser.
        served["body"] = _rss([_item(2, "<category></category>"), _item(1)])
        await poll_all(p, arq_redis)
        served["body"] = _rss([_item(3), _item(2, "<category></category>"), _item(1)])
        await poll_all(p, arq_redis)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_entries_new_total") == 2  # entries 2 and 3, once each
        assert sample("feedwatch_feed_parse_total", {"path": "feedparser"}) == 1
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 2


async def test_entries_already_seen_are_not_sent_again_when_the_feed_changes(
    wire: tuple[str, dict[str, bytes]], pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    url, served = wire
    async with pipeline_for(make_settings(feeds=[{"url": url}])) as p:
        await poll_all(p, arq_redis)
        served["body"] = _rss([_item(2), _item(1)])
        await poll_all(p, arq_redis)
        served["body"] = _rss([_item(3), _item(2), _item(1)])
        await poll_all(p, arq_redis)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_entries_new_total") == 2
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 3
