"""Jobs that die or meet an unreachable Redis part-way lose no alert.

A process job killed after its story claim runs again (arq re-runs a job whose
worker vanished) and must still write the story and deliver. A job that meets
an unreachable Redis must ask arq to run it again (arq drops a job that raises
anything but Retry): here the pipeline's Redis is a real closed address.
"""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis
from arq.worker import Retry

from demo.receiver import Receiver
from service.adapters.story_index import claim_entry
from service.core.entries import Entry, entry_to_dict
from service.pipeline import processing
from service.wiring import build_pipeline
from tests.integration.conftest import WHSEC, PipelineFactory, drain, make_settings
from workers import jobs

BODY = (
    "NATO foreign ministers met in Brussels on Tuesday to discuss air defence "
    "support, officials said, as talks over supplies continued late into the night."
)
ENTRY = Entry(
    feed_id="f1", guid="g-1", link="https://a.example/n1", title="NATO talks", summary=BODY
)


async def test_process_job_run_again_after_dying_past_its_claim_still_alerts(
    receiver: Receiver, pipeline_for: PipelineFactory, arq_redis: ArqRedis
) -> None:
    settings = make_settings(
        destinations={"hook": {"type": "webhook", "url": receiver.url("hook"), "secret": WHSEC}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["hook"]}],
    )
    async with pipeline_for(settings) as p:
        # The first run got as far as its claim, then its worker was killed.
        claim, _ = await claim_entry(
            p.index,
            ENTRY,
            processing.candidate_story_id(ENTRY),
            now=p.clock(),
            outlet="a.example",
        )
        assert claim.is_new
        report = await processing.process_entry(p, ENTRY)
        assert not report.is_new_story
        assert report.story_id == claim.story_id
        await drain(p, arq_redis)
        story = await p.stories.get(report.story_id)
        assert story is not None
        assert story.title == "NATO talks"
        assert await p.deliveries.dead_letters() == []
    [alert] = receiver.accepted()
    assert alert.json["data"]["story_id"] == report.story_id


@pytest.mark.parametrize("job", ["fetch", "process", "deliver"])
async def test_job_meeting_unreachable_redis_asks_to_run_again(job: str) -> None:
    settings = make_settings(
        feeds=[{"url": "http://127.0.0.1:9/feed.xml"}],
        destinations={"c": {"type": "console"}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["c"]}],
    )
    p, resources = build_pipeline(settings, "redis://127.0.0.1:1/0")
    ctx = {"pipeline": p, "job_try": 3}
    runs = {
        "fetch": lambda: jobs.fetch_feed(ctx, "feed-id"),
        "process": lambda: jobs.process_entry(ctx, entry_to_dict(ENTRY)),
        "deliver": lambda: jobs.deliver_alert(ctx, "msg_x"),
    }
    try:
        with pytest.raises(Retry) as caught:
            await runs[job]()
    finally:
        await resources.close()
    assert caught.value.defer_score == 8_000  # 2 ** job_try seconds, in ms
