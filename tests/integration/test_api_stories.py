"""Stories as the API shows them: copies, times as the webhook payload gives them, outlets."""

from __future__ import annotations

import re

import aiohttp
from aiohttp import web
from arq.connections import ArqRedis

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Receiver
from service.adapters.job_queue import ArqJobQueue
from service.core.entries import Entry, feed_id_for
from service.http_app import make_app
from service.pipeline import processing
from tests.integration.conftest import WHSEC, PipelineFactory, make_settings, poll_all

UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


async def test_story_endpoint_lists_copies_with_utc_times(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    settings = make_settings(
        feeds=[
            {"url": feed_server.url("wire"), "name": "wire"},
            {"url": feed_server.url("aggregator"), "name": "aggregator"},
        ],
        destinations={"siem": {"type": "webhook", "url": receiver.url("siem"), "secret": WHSEC}},
        rules=[{"name": "ceasefire", "query": "ceasefire", "notify": ["siem"]}],
    )
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        feed_server.publish(
            "wire", Item(stories.ORIGINAL_TITLE, "https://wire.example/a", stories.ORIGINAL_BODY)
        )
        await poll_all(p, arq_redis)
        feed_server.publish(
            "aggregator",
            Item(stories.ORIGINAL_TITLE, "https://aggregator.example/a", stories.COPY_BODY),
        )
        await poll_all(p, arq_redis)
        await receiver.wait_for(1)
        payload = receiver.accepted()[0].json["data"]

        runner = web.AppRunner(make_app(p, ArqJobQueue(arq_redis)), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/api/stories/{payload['story_id']}") as resp:
                    assert resp.status == 200
                    story = await resp.json()
                async with http.get(f"{base}/api/stories/no-such-story") as resp:
                    assert resp.status == 404
        finally:
            await runner.cleanup()

    assert story["story_id"] == payload["story_id"]
    assert story["first_outlet"] == "wire.example"
    assert story["outlets"] == ["wire.example", "aggregator.example"]
    assert story["first_seen"] == payload["first_seen"]
    assert UTC_TIME.match(story["first_seen"])
    assert [c["url"] for c in story["copies"]] == [
        "https://wire.example/a",
        "https://aggregator.example/a",
    ]
    for copy in story["copies"]:
        assert UTC_TIME.match(copy["seen_at"]), copy


async def test_an_entry_without_a_link_is_credited_to_its_feed_host(
    pipeline_for: PipelineFactory,
) -> None:
    url = "https://www.wire.example/rss"
    settings = make_settings(
        feeds=[{"url": url, "name": "wire"}],
        destinations={"c": {"type": "console"}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["c"]}],
    )
    entry = Entry(
        feed_id=feed_id_for(url), guid="g-2", link=None, title="NATO", summary="NATO met."
    )
    async with pipeline_for(settings) as p:
        report = await processing.process_entry(p, entry)
        story = await p.stories.get(report.story_id)
    assert story is not None
    assert story.first_outlet == "wire.example"


async def test_a_title_marked_up_as_html_is_stored_as_one_line_of_text(
    pipeline_for: PipelineFactory,
) -> None:
    settings = make_settings(
        destinations={"c": {"type": "console"}},
        rules=[{"name": "strike", "query": "strike", "notify": ["c"]}],
    )
    entry = Entry(
        feed_id="f1",
        guid="g-3",
        link="https://port.example/3",
        title="<b>Strike</b> at the port\n &amp; docks",
        summary="A strike closed the port.",
    )
    async with pipeline_for(settings) as p:
        report = await processing.process_entry(p, entry)
        story = await p.stories.get(report.story_id)
    assert story is not None
    assert story.title == "Strike at the port & docks"
    assert report.matched_rules == ("strike",)
