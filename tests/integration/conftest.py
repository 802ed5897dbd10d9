"""Real local HTTP servers and a way to run the pipeline to quiescence."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
import yaml
from arq.connections import ArqRedis

from demo.feed_server import FeedServer
from demo.receiver import Receiver
from service.adapters.job_queue import ArqJobQueue
from service.pipeline import scheduling
from service.pipeline.context import Pipeline
from service.settings import Settings, parse_settings
from service.wiring import build_pipeline
from workers.settings import QUEUE_ROLES, make_worker

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WHSEC_OLD = "whsec_dGhlIG9sZCBzZWNyZXQgc3RpbGwgc2lnbnM="


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer(huge_bytes=30 * 1024 * 1024)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


def make_settings(**sections: Any) -> Settings:
    """Settings for a test: fast polling, short retries, no HTTP port clash."""
    base: dict[str, Any] = {
        "http": {"host": "127.0.0.1", "port": 0},
        "polling": {
            "interval": 60,
            "tick": 0.05,
            "connect_timeout": 1,
            "total_timeout": 2,
            "max_bytes": 2 * 1024 * 1024,
            # Every test feed is on one local host: politeness has its own tests.
            "per_host_concurrency": 100,
            "per_host_spacing": 0,
        },
        "delivery": {"timeout": 2, "hold": 0, "retry_schedule": [0.02, 0.02, 0.02, 0.02]},
    }
    base.update(sections)
    return parse_settings(yaml.safe_dump(base), {})


async def drain(p: Pipeline, redis: ArqRedis, *, rounds: int = 20) -> None:
    """Run every queue in burst mode until none has work left."""
    queue = ArqJobQueue(redis)
    for _ in range(rounds):
        if not any((await queue.depths()).values()):
            return
        for role in QUEUE_ROLES:
            worker = make_worker(role, p, redis, burst=True, poll_delay=0)
            await worker.main()
    raise AssertionError(f"queues still busy after {rounds} rounds: {await queue.depths()}")


async def poll_all(p: Pipeline, redis: ArqRedis) -> None:
    """Make every feed due now, run one scheduler tick, and drain the pipeline."""
    now = p.clock()
    known: set[bytes] = await redis.smembers("fw:feeds:known")  # type: ignore[misc]
    await redis.zadd("fw:feeds:due", {m.decode(): now for m in known})
    await scheduling.tick(p)
    await drain(p, redis)


@pytest.fixture
async def arq_redis(redis_url: str, redis: Any) -> AsyncIterator[ArqRedis]:
    client = ArqRedis.from_url(redis_url)
    yield client
    await client.aclose()


PipelineFactory = Callable[[Settings], AbstractAsyncContextManager[Pipeline]]


@pytest.fixture
def pipeline_for(redis_url: str, redis: Any) -> PipelineFactory:
    """Build a pipeline (as a worker process would) on the test Redis."""

    @asynccontextmanager
    async def factory(settings: Settings) -> AsyncIterator[Pipeline]:
        p, resources = build_pipeline(settings, redis_url)
        await scheduling.sync_feeds(p)
        try:
            yield p
        finally:
            await resources.close()

    return factory
