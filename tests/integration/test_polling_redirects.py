"""Redirects: a 301/308 is adopted only once confirmed; 302/307 never; loops and
long chains are errors for that feed."""

from __future__ import annotations

from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from service.core.entries import feed_id_for
from tests.integration.conftest import make_settings
from tests.integration.polling_support import Clock, clocked_pipeline, poll_when_due

HOUR = 3600.0


def _settings(feed_server: FeedServer, name: str) -> dict[str, object]:
    return {"url": feed_server.url(name), "interval": "40m"}


async def test_a_301_seen_once_then_gone_is_not_adopted(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("old", Item("One", "https://old.example/1", "body"))
    feed_server.publish("new", Item("One", "https://old.example/1", "body"))
    old = feed_server.feed("old")
    old.behaviour, old.redirect_to, old.redirects_left = "redirect", "new", 1
    settings = make_settings(feeds=[_settings(feed_server, "old")])
    feed_id = feed_id_for(feed_server.url("old"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        counting = await p.feeds.get(feed_id)
        await poll_when_due(p, arq_redis, clock, feed_id)
        after = await p.feeds.get(feed_id)
    assert counting is not None
    assert (counting.redirect_target, counting.redirect_seen) == (feed_server.url("new"), 1)
    assert after is not None
    assert after.fetch_url is None
    assert after.redirect_target is None  # the count started again
    assert after.state == "ok"
    assert len(feed_server.requests_for("old")) == 2
    assert len(feed_server.requests_for("new")) == 1


async def test_a_301_seen_on_three_fetches_over_an_hour_becomes_the_address(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("new", Item("One", "https://moved.example/1", "body"))
    old = feed_server.feed("old")
    old.behaviour, old.redirect_to, old.redirect_status = "redirect", "new", 308
    settings = make_settings(feeds=[_settings(feed_server, "old")])
    feed_id = feed_id_for(feed_server.url("old"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for _ in range(3):
            await poll_when_due(p, arq_redis, clock, feed_id)
        adopted = await p.feeds.get(feed_id)
        await poll_when_due(p, arq_redis, clock, feed_id)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_feed_redirects_adopted_total") == 1
    assert adopted is not None
    assert adopted.fetch_url == feed_server.url("new")
    assert adopted.url == feed_server.url("old")  # the identity stays the config URL
    assert adopted.feed_id == feed_id
    assert len(feed_server.requests_for("old")) == 3  # not asked again once adopted
    assert len(feed_server.requests_for("new")) == 4


async def test_temporary_redirects_never_change_the_address(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("today", Item("One", "https://today.example/1", "body"))
    home = feed_server.feed("home")
    home.behaviour, home.redirect_to, home.redirect_status = "redirect", "today", 302
    settings = make_settings(feeds=[_settings(feed_server, "home")])
    feed_id = feed_id_for(feed_server.url("home"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for _ in range(6):
            await poll_when_due(p, arq_redis, clock, feed_id)
        state = await p.feeds.get(feed_id)
    assert state is not None
    assert state.fetch_url is None
    assert state.redirect_target is None
    assert len(feed_server.requests_for("home")) == 6


async def test_a_redirect_loop_is_an_error_naming_the_loop(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    for name, target in (("ping", "pong"), ("pong", "ping")):
        f = feed_server.feed(name)
        f.behaviour, f.redirect_to = "redirect", target
    settings = make_settings(feeds=[_settings(feed_server, "ping")])
    feed_id = feed_id_for(feed_server.url("ping"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        state = await p.feeds.get(feed_id)
        sample = p.metrics.registry.get_sample_value
        errors = sample(
            "feedwatch_fetches_total", {"outcome": "redirect_error", "status_class": "3xx"}
        )
    assert state is not None
    assert state.state == "failing"
    assert state.last_error == f"redirect loop back to {feed_server.url('ping')} after 2 hop(s)"
    assert errors == 1


async def test_a_chain_of_more_than_five_redirects_is_an_error(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    for i in range(7):
        f = feed_server.feed(f"hop{i}")
        f.behaviour, f.redirect_to, f.redirect_status = "redirect", f"hop{i + 1}", 301
    feed_server.publish("hop7", Item("End", "https://end.example/1", "body"))
    feed_server.publish("five0", Item("End", "https://end.example/1", "body"))
    for i in range(5):  # five hops, then the feed: allowed
        f = feed_server.feed(f"five{i}")
        f.behaviour, f.redirect_to, f.redirect_status = "redirect", f"five{i + 1}", 307
    feed_server.publish("five5", Item("End", "https://end.example/1", "body"))
    settings = make_settings(
        feeds=[_settings(feed_server, "hop0"), _settings(feed_server, "five0")]
    )
    long_id, five_id = (feed_id_for(feed_server.url(n)) for n in ("hop0", "five0"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, long_id)
        await poll_when_due(p, arq_redis, clock, five_id)
        long_chain, five = await p.feeds.get(long_id), await p.feeds.get(five_id)
    assert long_chain is not None
    assert long_chain.state == "failing"
    assert long_chain.last_error == "more than 5 redirects"
    assert five is not None
    assert five.state == "ok"
