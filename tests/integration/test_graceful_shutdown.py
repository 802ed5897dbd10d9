"""SIGTERM in the middle of a delivery: the worker process takes no new job,
lets the one in flight finish or hands it back, exits within the pod's grace
period, and a second process delivers whatever is left, exactly once.

Real processes (`python -m service.cli worker`), the test Redis, a local feed
and a webhook receiver that holds its answer until the test lets it go.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp import web

from demo import stories
from demo.feed_server import FeedServer, Item

# deploy/k8s: terminationGracePeriodSeconds of the worker Deployment.
GRACE_PERIOD_S = 30.0
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class HoldingReceiver:
    """Records each request as it arrives (before answering), then answers 200
    once `release` is set; until then the request hangs. A request whose sender
    hung up meanwhile is not counted as answered."""

    def __init__(self) -> None:
        self.arrived: list[str] = []  # webhook-id of each request, in arrival order
        self.answered: list[str] = []  # webhook-id of each request answered 200
        self.release = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        webhook_id = request.headers.get("webhook-id", "")
        async with self._changed:
            self.arrived.append(webhook_id)
            self._changed.notify_all()
        await self.release.wait()
        transport = request.transport
        if transport is None or transport.is_closing():  # the sender gave up on it
            return web.Response(status=499, text="nobody is listening")
        async with self._changed:
            self.answered.append(webhook_id)
            self._changed.notify_all()
        return web.Response(text="ok")

    async def wait(self, what: str, count: int, timeout: float = 30) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(getattr(self, what)) >= count), timeout
            )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def holding_receiver() -> AsyncIterator[HoldingReceiver]:
    receiver = HoldingReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.start()
    server.publish("wire", Item("Older news", "https://wire.example/old", "Nothing to see."))
    yield server
    await server.stop()


def _config(tmp_path: Path, feeds: FeedServer, hook: str) -> Path:
    config = {
        "http": {"host": "127.0.0.1", "port": 0},
        "polling": {"interval": 1, "tick": 0.1, "connect_timeout": 1, "total_timeout": 2},
        # A timeout longer than arq's job_completion_wait (20 s), so a held
        # request is still in flight when the worker gives up waiting for it.
        "delivery": {"timeout": 60, "hold": 0, "retry_schedule": [0.5, 0.5]},
        "feeds": [{"url": feeds.url("wire"), "name": "wire"}],
        "destinations": {"hook": {"type": "webhook", "url": hook, "secret": SECRET}},
        "rules": [{"name": "ceasefire", "query": "ceasefire", "notify": ["hook"]}],
    }
    path = tmp_path / "feedwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def _worker(config: Path, redis_url: str, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service.cli", "worker", "--config", str(config),
            "--redis-url", redis_url, "--log-level", "info",
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr, env=env,
        )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), GRACE_PERIOD_S)


async def _publish_and_wait_for_first_request(
    feeds: FeedServer, receiver: HoldingReceiver
) -> None:
    await feeds.wait_for_requests("wire", 1, timeout=20)  # first poll: nothing alerts
    feeds.publish(
        "wire",
        Item(stories.ORIGINAL_TITLE, "https://wire.example/geneva", stories.ORIGINAL_BODY),
    )
    await receiver.wait("arrived", 1, timeout=30)


async def test_sigterm_lets_the_delivery_in_flight_finish_and_nothing_is_sent_twice(
    tmp_path: Path,
    redis: aioredis.Redis,
    redis_url: str,
    feeds: FeedServer,
    holding_receiver: HoldingReceiver,
) -> None:
    config = _config(tmp_path, feeds, holding_receiver.url)
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "worker", "--config", str(config),
        "--redis-url", redis_url, "--log-level", "info",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert first.stderr is not None
    lines: list[str] = []
    stopping = asyncio.Event()

    async def read_log(stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            lines.append(raw.decode())
            if json.loads(raw).get("msg") == "stopping":
                stopping.set()

    reader = asyncio.create_task(read_log(first.stderr))
    try:
        await _publish_and_wait_for_first_request(feeds, holding_receiver)
        first.send_signal(signal.SIGTERM)
        # The receiver answers only once the worker is stopping: the job is
        # mid-request when the signal lands.
        await asyncio.wait_for(stopping.wait(), 10)
        holding_receiver.release.set()
        code = await asyncio.wait_for(first.wait(), GRACE_PERIOD_S)
        await reader
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    log.write_text("".join(lines))
    assert code == 0, log.read_text()
    assert holding_receiver.answered == holding_receiver.arrived  # it finished, once
    [webhook_id] = holding_receiver.answered

    # A second worker takes over: it polls on, and sends nothing again.
    polls = len(feeds.requests_for("wire"))
    second = await _worker(config, redis_url, log)
    try:
        await feeds.wait_for_requests("wire", polls + 2, timeout=20)
    finally:
        assert await _stop(second) == 0
    assert holding_receiver.arrived == [webhook_id]
    assert await redis.zcard("feedwatch:deliver") == 0


async def test_sigterm_hands_back_a_delivery_that_outlasts_the_wait_and_it_arrives_once(
    tmp_path: Path,
    redis: aioredis.Redis,
    redis_url: str,
    feeds: FeedServer,
    holding_receiver: HoldingReceiver,
) -> None:
    config = _config(tmp_path, feeds, holding_receiver.url)
    log = tmp_path / "worker.log"
    first = await _worker(config, redis_url, log)
    try:
        await _publish_and_wait_for_first_request(feeds, holding_receiver)
        # The receiver never answers this one: after job_completion_wait the
        # worker cancels the job, which stays in Redis, and exits in time.
        code = await _stop(first)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert code == 0, log.read_text()
    assert holding_receiver.answered == []
    [cut_short] = holding_receiver.arrived
    assert await redis.zcard("feedwatch:deliver") == 1  # handed back, not lost

    holding_receiver.release.set()
    second = await _worker(config, redis_url, log)
    try:
        await holding_receiver.wait("answered", 1, timeout=30)
        polls = len(feeds.requests_for("wire"))
        await feeds.wait_for_requests("wire", polls + 2, timeout=20)
    finally:
        assert await _stop(second) == 0
    # Delivered exactly once, under the same webhook-id as the attempt cut short.
    assert holding_receiver.answered == [cut_short]
    assert holding_receiver.arrived == [cut_short, cut_short]
    assert await redis.zcard("feedwatch:deliver") == 0
