"""A Redis outage after start, seen from the running loops: the scheduler logs it
once (one line, no traceback), not on every tick, and once more when it ends; the
arq workers, whose poll loop ends at the first Redis error, run again once Redis
is back and take jobs. Reminders while an outage lasts are paced.

In-process `Service` on its own redis-server (the session one must stay up),
stopped and started again on the same unix socket, with its AOF kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from demo.feed_server import FeedServer, Item
from service.adapters import redis_keys as K
from service.adapters.embedded_redis import EmbeddedRedis
from service.runtime import OutageLog, Roles, Service, redacted_url
from tests.integration.conftest import make_settings

DEADLINE_S = 20.0


async def _until(condition: Callable[[], bool]) -> None:
    """Poll an observable state until it holds, failing after a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while loop.time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not reached within {DEADLINE_S} s")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _runtime_records(caplog: pytest.LogCaptureFixture, start: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "service.runtime" and r.getMessage().startswith(start)
    ]


async def test_scheduler_logs_a_redis_outage_once_not_per_tick(
    own_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.runtime")
    settings = make_settings(polling={"tick": 0.02})
    service = Service(settings, own_redis.url, roles=Roles(api=False, queues=()))
    await service.start()
    outage = service.scheduler_outage
    try:
        await asyncio.to_thread(own_redis.stop)
        await _until(lambda: outage.failures >= 20)  # twenty ticks failed

        [began] = _runtime_records(caplog, "scheduler: redis unreachable")
        assert began.levelno == logging.WARNING
        assert began.exc_info is None
        assert "\n" not in began.getMessage()
        assert _runtime_records(caplog, "scheduler tick failed") == []
        assert _runtime_records(caplog, "scheduler: redis still unreachable") == []

        await asyncio.to_thread(own_redis.start)
        await _until(lambda: outage.since is None)
        [ended] = _runtime_records(caplog, "scheduler: redis reachable again")
        assert ended.levelno == logging.INFO
        assert [r for r in caplog.records if r.exc_info] == []
    finally:
        await service.stop()


async def test_workers_take_jobs_again_after_redis_restarts(
    own_redis: EmbeddedRedis, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.runtime")
    feed_server.publish("wire", Item("Older news", "https://wire.example/old", "Nothing."))
    settings = make_settings(feeds=[{"url": feed_server.url("wire"), "name": "wire"}])
    service = Service(settings, own_redis.url, roles=Roles(api=False))
    await service.start()
    try:
        await feed_server.wait_for_requests("wire", 1, timeout=DEADLINE_S)  # first poll
        await asyncio.to_thread(own_redis.stop)
        await _until(lambda: len(_runtime_records(caplog, "worker fetch: redis unreachable")) > 0)
        await asyncio.to_thread(own_redis.start)
        await _until(lambda: len(_runtime_records(caplog, "worker fetch: redis reachable")) > 0)

        # Make the feed due now: the scheduler enqueues a fetch, and only a running
        # fetch worker can take it.
        polls = len(feed_server.requests_for("wire"))
        client = aioredis.Redis.from_url(own_redis.url)
        try:
            known = await client.smembers(K.FEEDS_KNOWN)
            assert known
            await client.zadd(K.FEEDS_DUE, {m.decode(): 0 for m in known})
        finally:
            await client.aclose()
        await feed_server.wait_for_requests("wire", polls + 1, timeout=DEADLINE_S)
        assert not any(t.done() for t in service._tasks)
    finally:
        await service.stop()


async def test_metrics_scrapes_log_a_redis_outage_once_and_its_end_once(
    own_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.http_app")
    service = Service(make_settings(), own_redis.url, roles=Roles(queues=(), scheduler=False))
    await service.start()
    url = f"http://127.0.0.1:{service.http_port}/metrics"

    def messages(start: str) -> list[str]:
        return [m for r in caplog.records if (m := r.getMessage()).startswith(start)]

    try:
        async with aiohttp.ClientSession() as session:
            await asyncio.to_thread(own_redis.stop)
            for _ in range(3):
                async with session.get(url) as response:
                    assert "feedwatch_redis_up 0.0" in await response.text()
            assert len(messages("redis unavailable for metrics")) == 1
            assert messages("redis available for metrics again") == []

            await asyncio.to_thread(own_redis.start)
            for _ in range(2):
                async with session.get(url) as response:
                    assert "feedwatch_redis_up 1.0" in await response.text()
            assert len(messages("redis unavailable for metrics")) == 1
            assert len(messages("redis available for metrics again")) == 1
    finally:
        await service.stop()


def test_an_outage_is_logged_when_it_starts_then_paced_then_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="service.runtime")
    outage = OutageLog("scheduler", remind_every=60.0)
    error = ConnectionError("Error 111 connecting to 127.0.0.1:6379")
    for step in range(1200):  # ten minutes of ticks every 0.5 s
        outage.failed(error, 1000.0 + step * 0.5)
    outage.succeeded(1600.0)

    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "scheduler: redis unreachable, retrying: " + str(error)
    reminders = [m for m in messages if m.startswith("scheduler: redis still unreachable")]
    assert len(reminders) == 9  # at 60, 120, ... 540 s
    assert reminders[0].startswith("scheduler: redis still unreachable after 60 s (121 failed")
    assert messages[-1] == "scheduler: redis reachable again after 600 s (1200 failed tries)"
    assert len(messages) == 11

    outage.succeeded(1601.0)  # no outage, nothing to say
    assert len(caplog.records) == 11


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        ("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0"),
        (
            "rediss://feedwatch:s3cret@redis.example:6380/2",
            "rediss://feedwatch:***@redis.example:6380/2",
        ),
        ("unix://:s3cret@/run/redis.sock?db=1", "unix://:***@/run/redis.sock?db=1"),
        ("unix:///run/redis.sock?db=1&password=s3cret", "unix:///run/redis.sock?db=1&password=***"),
        ("redis://user@redis:6379/0", "redis://user@redis:6379/0"),
    ],
)
def test_a_redis_url_is_logged_without_its_password(url: str, shown: str) -> None:
    assert redacted_url(url) == shown
