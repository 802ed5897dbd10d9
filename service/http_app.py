"""HTTP: liveness, readiness, metrics, and a small read-only admin API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from service.adapters.job_queue import ArqJobQueue
from service.core.formatting.common import iso_utc
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)

PIPELINE: web.AppKey[Pipeline] = web.AppKey("pipeline", Pipeline)
QUEUE: web.AppKey[ArqJobQueue] = web.AppKey("queue", ArqJobQueue)
# Why the service is not ready yet (waiting for Redis at start), or None once started.
STARTING: web.AppKey[Callable[[], str | None]] = web.AppKey("starting")


def _started() -> str | None:
    return None


@dataclass
class RedisSeen:
    """Whether the last scrape found Redis down: an outage is logged when it starts
    and when it ends, not on every scrape (`feedwatch_redis_up` says it meanwhile)."""

    down: bool = False


REDIS_SEEN: web.AppKey[RedisSeen] = web.AppKey("redis_seen", RedisSeen)


async def healthz(request: web.Request) -> web.Response:
    """Alive: answers without touching Redis, so a Redis outage never restarts pods."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    reason = request.app[STARTING]()
    if reason is not None:
        return web.json_response({"status": "starting", "reason": reason}, status=503)
    p = request.app[PIPELINE]
    try:
        await p.feeds.states()
    except (RedisError, OSError) as exc:
        return web.json_response({"status": "unavailable", "redis": str(exc)}, status=503)
    return web.json_response({"status": "ready", "rules": len(p.routing.rules.rules)})


async def refresh_gauges(p: Pipeline, queue: ArqJobQueue, seen: RedisSeen | None = None) -> None:
    """Gauges that describe shared state are read from Redis at scrape time."""
    seen = seen or RedisSeen()
    try:
        for state, count in (await p.feeds.states()).items():
            p.metrics.feeds.labels(state).set(count)
        for name, depth in (await queue.depths()).items():
            p.metrics.queue_depth.labels(name).set(depth)
        p.metrics.dead_letters.set(await p.deliveries.count_dead())
        p.metrics.destinations_off.set(len(await p.guard.disabled()))
        p.metrics.redis_memory.set(await queue.redis_memory_used())
        p.metrics.redis_memory_max.set(await queue.redis_memory_limit())
        p.metrics.redis_up.set(1)
        if seen.down:
            log.info("redis available for metrics again")
        seen.down = False
    except (RedisError, OSError) as exc:
        p.metrics.redis_up.set(0)
        if not seen.down:
            log.warning("redis unavailable for metrics: %s", exc)
        seen.down = True


async def metrics(request: web.Request) -> web.Response:
    p = request.app[PIPELINE]
    await refresh_gauges(p, request.app[QUEUE], request.app[REDIS_SEEN])
    body = generate_latest(p.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def feeds(request: web.Request) -> web.Response:
    p = request.app[PIPELINE]
    states = await p.feeds.all_states()
    return web.json_response({"feeds": [asdict(s) for s in states]})


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC)


async def story(request: web.Request) -> web.Response:
    p = request.app[PIPELINE]
    record = await p.stories.get(request.match_info["story_id"])
    if record is None:
        raise web.HTTPNotFound(text="no such story (or it is older than the story window)")
    return web.json_response(
        {
            "story_id": record.story_id,
            "title": record.title,
            "link": record.link,
            "first_outlet": record.first_outlet,
            # Times as the webhook payload gives them: RFC 3339 in UTC with a Z.
            "published": iso_utc(_moment(record.published)),
            "first_seen": iso_utc(_moment(record.first_seen)),
            "outlets": list(record.outlets),
            "copies": [
                {
                    "outlet": c.outlet,
                    "url": c.url,
                    "seen_at": iso_utc(c.seen_at),
                    "credits": c.credits,
                }
                for c in record.copies
            ],
        }
    )


async def dead_letters(request: web.Request) -> web.Response:
    p = request.app[PIPELINE]
    records = await p.deliveries.dead_letters()
    return web.json_response({"dead_letters": [asdict(r) for r in records]})


def make_app(
    pipeline: Pipeline,
    queue: ArqJobQueue,
    *,
    starting: Callable[[], str | None] = _started,
) -> web.Application:
    app = web.Application()
    app[PIPELINE] = pipeline
    app[QUEUE] = queue
    app[STARTING] = starting
    app[REDIS_SEEN] = RedisSeen()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/feeds", feeds)
    app.router.add_get("/api/stories/{story_id}", story)
    app.router.add_get("/api/deliveries/dead", dead_letters)
    return app
