"""Stories as the API shows them: copies, times as the webhook payload gives them, outlets."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer
from arq.connections import ArqRedis

from demo.feed_server import FeedServer
from demo.receiver import Receiver
from service.adapters.job_queue import ArqJobQueue
from service.core.entries import Entry, feed_id_for
from service.http_app import make_app
from service.pipeline import processing
from tests.integration.conftest import PipelineFactory, make_settings, poll_all
from tests.integration.test_pipeline_end_to_end import seed_items, two_outlet_settings

UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


async def test_story_endpoint_lists_copies_with_utc_times(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    original, copy = seed_items()
    async with pipeline_for(two_outlet_settings(feed_server, receiver)) as p:
        await poll_all(p, arq_redis)  # first poll: records what is there
        feed_server.publish("wire", original)
        await poll_all(p, arq_redis)
        feed_server.publish("aggregator", copy)
        await poll_all(p, arq_redis)
        [hook] = [r for r in receiver.accepted() if r.path == "/siem"]
        payload = hook.json["data"]
        async with TestClient(TestServer(make_app(p, ArqJobQueue(arq_redis)))) as client:
            found = await client.get(f"/api/stories/{payload['story_id']}")
            assert found.status == 200
            story = await found.json()
            assert (await client.get("/api/stories/no-such-story")).status == 404

    assert story["story_id"] == payload["story_id"]
    assert story["first_outlet"] == "wirenews.example"
    assert story["outlets"] == ["wirenews.example", "aggregator.example"]
    assert story["first_seen"] == payload["first_seen"]
    assert UTC_TIME.match(story["first_seen"])
    assert [c["url"] for c in story["copies"]] == [original.link, copy.link]
    for seen in story["copies"]:
        assert UTC_TIME.match(seen["seen_at"]), seen


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
