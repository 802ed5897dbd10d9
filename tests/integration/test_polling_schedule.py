"""Due times after each fetch: publish rate, server hints, errors, 410, validators."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from aiohttp.test_utils import TestClient, TestServer
from arq.connections import ArqRedis

from demo.feed_server import FeedServer, Item
from service.adapters.job_queue import ArqJobQueue
from service.core.entries import feed_id_for
from service.http_app import make_app
from service.pipeline import scheduling
from tests.integration.conftest import make_settings
from tests.integration.polling_support import Clock, clocked_pipeline, due_of, poll_when_due

HOUR = 3600.0


async def test_retry_after_as_an_http_date_holds_the_next_try_until_then(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("busy")
    feed.behaviour, feed.status = "status", 503
    retry_at = float(int(clock.now + 5 * HOUR))
    feed.headers = {"Retry-After": formatdate(retry_at, usegmt=True)}
    settings = make_settings(feeds=[{"url": feed_server.url("busy")}])
    feed_id = feed_id_for(feed_server.url("busy"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        due = await due_of(arq_redis, feed_id)
        state = await p.feeds.get(feed_id)
    assert state is not None
    assert state.state == "failing"
    assert state.last_error == "HTTP 503 Service Unavailable"
    # error backoff alone would be 5 min; the server asked for 5 hours
    assert due >= retry_at


async def test_cache_control_max_age_and_ttl_push_the_next_check_later(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("cached", Item("One", "https://cached.example/1", "body"))
    feed_server.feed("cached").headers = {"Cache-Control": "public, max-age=7200"}
    feed_server.publish("plain", Item("One", "https://plain.example/1", "body"))
    settings = make_settings(
        polling={
            "min_interval": 60,
            "max_interval": 6 * HOUR,
            "interval": 600,
            "per_host_spacing": 0,
        },
        feeds=[{"url": feed_server.url("cached")}, {"url": feed_server.url("plain")}],
    )
    cached, plain = (feed_id_for(feed_server.url(n)) for n in ("cached", "plain"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, cached)
        cached_in = await due_of(arq_redis, cached) - clock.now
        await poll_when_due(p, arq_redis, clock, plain)
        plain_in = await due_of(arq_redis, plain) - clock.now
    assert cached_in >= 7200
    assert plain_in <= 600 * 1.1


async def test_errors_back_off_up_to_the_cap_and_the_feed_is_never_dropped(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("down")
    feed.behaviour, feed.status = "status", 500
    settings = make_settings(
        polling={"max_error_backoff": "2h", "per_host_spacing": 0},
        feeds=[{"url": feed_server.url("down")}],
    )
    feed_id = feed_id_for(feed_server.url("down"))
    gaps = []
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for _ in range(8):
            await poll_when_due(p, arq_redis, clock, feed_id)
            gaps.append(await due_of(arq_redis, feed_id) - clock.now)
        state = await p.feeds.get(feed_id)
    assert len(feed_server.requests_for("down")) == 8
    assert gaps[1] > gaps[0] * 1.5  # exponential
    assert all(gap <= 2 * HOUR for gap in gaps)
    assert gaps[-1] >= 2 * HOUR * 0.89  # reached the cap and stays there
    assert state is not None
    assert state.state == "failing"
    assert state.consecutive_errors == 8
    assert state.failing_since is not None
    assert state.failing_since < clock.now


async def test_a_410_marks_the_feed_gone_but_it_is_still_checked_daily(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("closed")
    feed.behaviour, feed.status = "status", 410
    settings = make_settings(feeds=[{"url": feed_server.url("closed")}])
    feed_id = feed_id_for(feed_server.url("closed"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        gone_in = await due_of(arq_redis, feed_id) - clock.now
        counts = await p.feeds.states()
        states = await p.feeds.all_states()
        feed.behaviour = "normal"
        feed_server.publish("closed", Item("Back", "https://closed.example/1", "body"))
        await poll_when_due(p, arq_redis, clock, feed_id)
        back = await p.feeds.get(feed_id)
    assert counts["gone"] == 1
    assert [(s.state, s.last_error) for s in states] == [("gone", "HTTP 410 Gone")]
    assert 24 * HOUR <= gone_in <= 24 * HOUR * 1.1
    assert back is not None
    assert back.state == "ok"
    assert back.last_error is None


async def test_a_busy_feed_is_checked_more_often_than_a_quiet_one(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("busy", Item("0", "https://busy.example/0", "body"))
    feed_server.publish("quiet", Item("0", "https://quiet.example/0", "body"))
    settings = make_settings(
        polling={
            "min_interval": 60,
            "max_interval": 6 * HOUR,
            "interval": 1800,
            "per_host_spacing": 0,
        },
        feeds=[{"url": feed_server.url("busy")}, {"url": feed_server.url("quiet")}],
    )
    busy, quiet = (feed_id_for(feed_server.url(n)) for n in ("busy", "quiet"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for i in range(1, 7):
            for j in range(3):
                feed_server.publish("busy", Item(f"{i}.{j}", f"https://busy.example/{i}/{j}", "b"))
            await poll_when_due(p, arq_redis, clock, busy)
        busy_gap = await due_of(arq_redis, busy) - clock.now
        for _ in range(4):
            await poll_when_due(p, arq_redis, clock, quiet)
        quiet_gap = await due_of(arq_redis, quiet) - clock.now
    assert busy_gap < 1800 * 0.9  # faster than the default interval
    assert quiet_gap >= 1800 * 0.9
    assert busy_gap < quiet_gap


async def test_a_fixed_interval_is_kept_whatever_the_publish_rate(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("fixed", Item("0", "https://fixed.example/0", "body"))
    settings = make_settings(feeds=[{"url": feed_server.url("fixed"), "interval": "10m"}])
    feed_id = feed_id_for(feed_server.url("fixed"))
    gaps = []
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for i in range(1, 5):
            feed_server.publish("fixed", Item(str(i), f"https://fixed.example/{i}", "body"))
            await poll_when_due(p, arq_redis, clock, feed_id)
            gaps.append(await due_of(arq_redis, feed_id) - clock.now)
    assert all(540 <= gap <= 660 for gap in gaps)


async def test_a_200_with_the_same_body_is_not_parsed_again(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("noetag", Item("One", "https://noetag.example/1", "body"))
    feed_server.feed("noetag").etag_enabled = False
    settings = make_settings(feeds=[{"url": feed_server.url("noetag")}])
    feed_id = feed_id_for(feed_server.url("noetag"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for _ in range(3):
            await poll_when_due(p, arq_redis, clock, feed_id)
        sample = p.metrics.registry.get_sample_value
        assert sample("feedwatch_fetch_unchanged_total") == 2
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 1
        feed_server.publish("noetag", Item("Two", "https://noetag.example/2", "body"))
        await poll_when_due(p, arq_redis, clock, feed_id)
        assert sample("feedwatch_feed_parse_total", {"path": "fast"}) == 2
        assert sample("feedwatch_entries_new_total") == 1


async def test_validators_are_dropped_once_a_day_to_recover_broken_servers(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed_server.publish("etag", Item("One", "https://etag.example/1", "body"))
    settings = make_settings(
        polling={"unconditional_every": "1d", "per_host_spacing": 0},
        feeds=[{"url": feed_server.url("etag"), "interval": "6h"}],
    )
    feed_id = feed_id_for(feed_server.url("etag"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for _ in range(6):
            await poll_when_due(p, arq_redis, clock, feed_id)
        sample = p.metrics.registry.get_sample_value
        unchanged = sample("feedwatch_fetch_unchanged_total")
    conditional = [r.if_none_match is not None for r in feed_server.requests_for("etag")]
    # first fetch plain, then conditional until a day has passed, then plain once
    assert conditional[0] is False
    assert conditional[1:4] == [True, True, True]
    assert False in conditional[4:]
    assert unchanged == 1  # the plain re-fetch brought the same body: not parsed


async def test_feed_states_and_last_errors_are_exported_by_the_api_and_metrics(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    for name, status in (("closed", 410), ("broken", 500)):
        feed = feed_server.feed(name)
        feed.behaviour, feed.status = "status", status
    feed_server.publish("fine", Item("One", "https://fine.example/1", "body"))
    names = ("closed", "broken", "fine")
    settings = make_settings(feeds=[{"url": feed_server.url(n)} for n in names])
    async with clocked_pipeline(settings, redis_url, clock) as p:
        for name in names:
            await poll_when_due(p, arq_redis, clock, feed_id_for(feed_server.url(name)))
        app = make_app(p, ArqJobQueue(arq_redis))
        async with TestClient(TestServer(app)) as client:
            feeds = (await (await client.get("/api/feeds")).json())["feeds"]
            metrics = await (await client.get("/metrics")).text()
    by_url = {f["url"]: f for f in feeds}
    closed, broken = by_url[feed_server.url("closed")], by_url[feed_server.url("broken")]
    assert (closed["state"], closed["last_error"]) == ("gone", "HTTP 410 Gone")
    assert (broken["state"], broken["last_error"]) == ("failing", "HTTP 500 Internal Server Error")
    assert broken["failing_since"] is not None
    assert by_url[feed_server.url("fine")]["state"] == "ok"
    for state in ("ok", "failing", "gone"):
        assert f'feedwatch_feeds{{state="{state}"}} 1.0' in metrics


async def test_errors_back_off_from_twice_a_short_interval(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("flaky")
    feed.behaviour, feed.status = "status", 503
    settings = make_settings(feeds=[{"url": feed_server.url("flaky"), "interval": "10s"}])
    feed_id = feed_id_for(feed_server.url("flaky"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        first = await due_of(arq_redis, feed_id) - clock.now
        await poll_when_due(p, arq_redis, clock, feed_id)
        second = await due_of(arq_redis, feed_id) - clock.now
    assert 18 <= first <= 22  # 2 x 10 s, +-10 %
    assert 36 <= second <= 44


async def test_the_scheduler_ticks_early_for_a_feed_due_before_its_next_tick(
    redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    url = "http://127.0.0.1:9/soon.xml"
    base = make_settings(feeds=[{"url": url}])
    polling = base.polling.model_copy(update={"tick": 2.0})
    settings = base.model_copy(update={"polling": polling})
    feed_id = feed_id_for(url)
    async with clocked_pipeline(settings, redis_url, clock) as p:
        began = clock.now - 0.5  # the tick began half a second ago
        waits = {}
        for name, due_in in [
            ("soon", 0.3),
            ("now-ish", 0.001),
            ("due during the tick", -0.2),
            ("later", 10.0),
            ("held back", -1.0),
        ]:
            await arq_redis.zadd("fw:feeds:due", {feed_id: clock.now + due_in})
            waits[name] = await scheduling.next_tick_in(p, began)
    # a turn 0.3 s away is taken then; nothing sooner than the minimum gap; a feed
    # the tick saw due and left waiting (held back) waits for the usual tick
    assert waits == {
        "soon": pytest.approx(0.3, abs=1e-3),
        "now-ish": scheduling.MIN_TICK_GAP,
        "due during the tick": scheduling.MIN_TICK_GAP,
        "later": 2.0,
        "held back": 2.0,
    }


async def test_an_error_page_cached_for_a_day_is_still_retried_within_the_backoff_cap(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("cdn")
    feed.behaviour, feed.status = "status", 503
    feed.headers = {
        "Cache-Control": "public, max-age=86400",
        "Expires": "Fri, 01 Jan 2100 00:00:00 GMT",
    }
    settings = make_settings(
        polling={"max_error_backoff": "1h", "per_host_spacing": 0},
        feeds=[{"url": feed_server.url("cdn")}],
    )
    feed_id = feed_id_for(feed_server.url("cdn"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        gap = await due_of(arq_redis, feed_id) - clock.now
    assert gap <= HOUR


async def test_a_304_before_any_200_does_not_count_as_the_first_poll(
    feed_server: FeedServer, redis_url: str, arq_redis: ArqRedis
) -> None:
    clock = Clock()
    feed = feed_server.feed("late")
    feed.behaviour, feed.status = "status", 304
    settings = make_settings(feeds=[{"url": feed_server.url("late")}])
    feed_id = feed_id_for(feed_server.url("late"))
    async with clocked_pipeline(settings, redis_url, clock) as p:
        await poll_when_due(p, arq_redis, clock, feed_id)
        sample = p.metrics.registry.get_sample_value
        assert (
            sample("feedwatch_fetches_total", {"outcome": "not_modified", "status_class": "3xx"})
            == 1
        )
        feed.behaviour = "normal"
        for i in range(3):
            feed_server.publish("late", Item(f"Old {i}", f"https://late.example/{i}", "body"))
        await poll_when_due(p, arq_redis, clock, feed_id)
        assert not sample("feedwatch_entries_new_total")  # recorded, not alerted on
        feed_server.publish("late", Item("New", "https://late.example/new", "body"))
        await poll_when_due(p, arq_redis, clock, feed_id)
        assert sample("feedwatch_entries_new_total") == 1
