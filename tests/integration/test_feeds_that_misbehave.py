"""Feeds that answer 304, break, lie or hang: an error for that feed alone."""

from __future__ import annotations

from arq.connections import ArqRedis

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Receiver
from service.core.entries import feed_id_for
from tests.integration.conftest import WHSEC, PipelineFactory, make_settings, poll_all


async def test_feed_answering_304_to_a_conditional_request_is_not_parsed_again(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed_server.publish("wire", Item("First", "https://wirenews.example/1", "body"))
    settings = make_settings(feeds=[{"url": feed_server.url("wire")}])
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        await poll_all(p, arq_redis)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_fetches_total", {"outcome": "ok", "status_class": "2xx"}) == 1
        assert (
            sample("feedwatch_fetches_total", {"outcome": "not_modified", "status_class": "3xx"})
            == 1
        )
    first, second = feed_server.requests_for("wire")
    assert first.if_none_match is None
    assert second.if_none_match is not None
    assert second.user_agent is not None
    assert "feedwatch" in second.user_agent


async def test_broken_feeds_fail_alone_with_a_clear_error_while_good_feeds_go_on(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    for name, behaviour in [
        ("malformed", "malformed"),
        ("html", "html"),
        ("huge", "huge"),
        ("silent", "hang"),
    ]:
        feed_server.feed(name).behaviour = behaviour
    feed_server.feed("good")
    settings = make_settings(
        feeds=[
            {"url": feed_server.url(n)} for n in ("malformed", "html", "huge", "silent", "good")
        ],
        destinations={"hook": {"type": "webhook", "url": receiver.url(), "secret": WHSEC}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["hook"]}],
    )
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        feed_server.publish(
            "good", Item(stories.NATO_TITLE, "https://wirenews.example/nato", stories.NATO_BODY)
        )
        await poll_all(p, arq_redis)
        errors = {}
        for name in ("malformed", "html", "huge", "silent", "good"):
            state = await p.feeds.get(feed_id_for(feed_server.url(name)))
            assert state is not None
            errors[name] = (state.state, state.last_error or "")
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_parse_errors_total") == 4  # malformed and html, twice each
        assert (
            sample("feedwatch_fetches_total", {"outcome": "timeout", "status_class": "none"}) == 2
        )
        assert (
            sample("feedwatch_fetches_total", {"outcome": "too_large", "status_class": "2xx"}) == 2
        )
    assert errors["good"] == ("ok", "")
    assert errors["malformed"][0] == "failing"
    assert "malformed XML at line 1" in errors["malformed"][1]
    assert errors["html"][0] == "failing"
    assert "not an RSS or Atom feed" in errors["html"][1]
    assert errors["huge"][0] == "failing"
    # A plain body (no Content-Encoding): the cap is not said to apply after decompression.
    assert errors["huge"][1] == f"body is over the {2 * 1024 * 1024} byte cap"
    assert errors["silent"] == ("failing", "timed out")
    assert [r.json["data"]["title"] for r in receiver.accepted()] == [stories.NATO_TITLE]


async def test_a_failing_feed_is_retried_later_not_dropped(
    feed_server: FeedServer,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    feed = feed_server.feed("flaky")
    feed.behaviour, feed.status = "status", 503
    settings = make_settings(feeds=[{"url": feed_server.url("flaky"), "interval": 60}])
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        feed_id = feed_id_for(feed_server.url("flaky"))
        due = await arq_redis.zscore("fw:feeds:due", feed_id)
        state = await p.feeds.get(feed_id)
    assert state is not None
    assert state.state == "failing"
    assert state.last_error == "HTTP 503 Service Unavailable"
    assert due is not None
    assert due > p.clock() + 60  # backed off beyond the normal interval
