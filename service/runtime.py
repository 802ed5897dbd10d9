"""Running feedwatch: workers, the scheduler and the HTTP server in one process,
each role optional, with a graceful stop and a config reload on SIGHUP."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web
from arq.worker import Worker

from service.adapters import redis_keys as K
from service.adapters.job_queue import ArqJobQueue
from service.adapters.redis_errors import REDIS_DOWN, reason
from service.adapters.redis_store import Lease
from service.http_app import make_app
from service.long_lived import freeze_long_lived
from service.pipeline import scheduling
from service.pipeline.context import Pipeline
from service.settings import ConfigError, Settings, load_settings
from service.wiring import Resources, build_pipeline, build_routing
from workers.settings import QUEUE_ROLES, make_worker

log = logging.getLogger(__name__)


def redacted_url(url: str) -> str:
    """The URL with any password (`:pw@` or `?password=`) replaced by `***`, fit for
    a log line or a reply."""
    base, mark, query = url.partition("?")
    parts = urlsplit(base)
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        base = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    query = "&".join(
        "password=***" if item.startswith("password=") else item for item in query.split("&")
    )
    return base + mark + query


class OutageLog:
    """Logs a Redis outage seen by a loop as three kinds of line, never one per try:
    once when it starts, a reminder at most every `remind_every` seconds while it
    lasts, and once when it ends. Times are passed in (a monotonic clock)."""

    def __init__(self, what: str, remind_every: float = 60.0) -> None:
        self.what = what
        self.remind_every = remind_every
        self.since: float | None = None
        self.failures = 0
        self._reminded_at = 0.0

    def failed(self, exc: BaseException, now: float) -> None:
        self.failures += 1
        if self.since is None:
            self.since = self._reminded_at = now
            log.warning("%s: redis unreachable, retrying: %s", self.what, reason(exc))
        elif now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            log.warning(
                "%s: redis still unreachable after %.0f s (%d failed tries): %s",
                self.what,
                now - self.since,
                self.failures,
                reason(exc),
            )

    def succeeded(self, now: float) -> None:
        if self.since is not None:
            log.info(
                "%s: redis reachable again after %.0f s (%d failed tries)",
                self.what,
                now - self.since,
                self.failures,
            )
        self.since = None
        self.failures = 0


@dataclass
class Roles:
    api: bool = True
    scheduler: bool = True
    queues: tuple[str, ...] = QUEUE_ROLES


@dataclass
class Service:
    settings: Settings
    redis_url: str
    roles: Roles = field(default_factory=Roles)
    config_path: Path | None = None
    on_ready: Callable[[str], None] | None = None

    pipeline: Pipeline | None = None
    resources: Resources | None = None
    _workers: list[Worker] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    http_port: int | None = None
    config_watch_interval: float = 5.0
    reloads: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    _reloaded: asyncio.Condition = field(default_factory=asyncio.Condition)
    # Waiting for Redis at start: the first retry after this many seconds, doubling
    # up to the cap; a ping that hangs (a black-holed address) counts as failed.
    redis_retry_initial: float = 0.5
    redis_retry_max: float = 15.0
    redis_ping_timeout: float = 5.0
    waiting_reason: str | None = None
    # A Redis outage after start: one line when it begins, a reminder at most this
    # often while it lasts, one line when it ends.
    outage_reminder_every: float = 60.0
    scheduler_outage: OutageLog = field(init=False)

    def __post_init__(self) -> None:
        self.scheduler_outage = OutageLog("scheduler", self.outage_reminder_every)

    async def start(self) -> None:
        """Serve HTTP first, then wait for Redis (health answers meanwhile, readiness
        says why not), then start the workers and the scheduler. Returns early, with
        nothing but HTTP started, if a stop is requested while it waits."""
        self.pipeline, self.resources = build_pipeline(self.settings, self.redis_url)
        freeze_long_lived()  # the compiled rules live as long as this config
        p = self.pipeline
        queue = ArqJobQueue(self.resources.redis)
        base: str | None = None
        if self.roles.api:
            self._runner = web.AppRunner(
                make_app(p, queue, starting=self._starting), access_log=None
            )
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.settings.http.host, self.settings.http.port)
            await site.start()
            self.http_port = _bound_port(self._runner, self.settings.http.port)
            base = f"http://{self.settings.http.host}:{self.http_port}"
            log.info("http listening: health %s/healthz, metrics %s/metrics", base, base)
        if not await self._wait_for_redis():
            return
        for role in self.roles.queues:
            worker = make_worker(role, p, self.resources.redis)
            self._workers.append(worker)
            self._tasks.append(
                asyncio.create_task(self._supervise(worker, role), name=f"worker-{role}")
            )
        if self.roles.scheduler:
            self._tasks.append(asyncio.create_task(self._scheduler_loop(), name="scheduler"))
        if self.config_path is not None and self.config_watch_interval > 0:
            self._tasks.append(asyncio.create_task(self._watch_config(), name="config-watch"))
        if self.on_ready and base is not None:
            self.on_ready(base)
        self.started.set()

    def _starting(self) -> str | None:
        """Why the service is not ready yet, or None once it has started."""
        if self.started.is_set():
            return None
        return self.waiting_reason or "starting"

    async def _first_contact(self) -> None:
        assert self.pipeline is not None
        assert self.resources is not None
        await asyncio.wait_for(self.resources.redis.ping(), self.redis_ping_timeout)
        await scheduling.sync_feeds(self.pipeline)

    async def _wait_for_redis(self) -> bool:
        """Ping Redis and sync the feeds, retrying with capped backoff while Redis is
        unreachable; one log line per attempt. False if a stop came first."""
        where = redacted_url(self.redis_url)
        delay = self.redis_retry_initial
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            contact = asyncio.ensure_future(self._first_contact())
            stopped = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({contact, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not contact.done():
                contact.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await contact
                break
            exc = contact.exception()
            if exc is None:
                if attempt > 1:
                    log.info(
                        "redis at %s answers after %d attempts",
                        where,
                        attempt,
                        extra={"redis": where},
                    )
                self.waiting_reason = None
                return True
            if not isinstance(exc, REDIS_DOWN):
                raise exc
            self.waiting_reason = f"waiting for redis at {where}: {reason(exc)}"
            log.warning(
                "waiting for redis at %s (attempt %d, next in %.1f s): %s",
                where,
                attempt,
                delay,
                reason(exc),
                extra={"redis": where},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
            delay = min(delay * 2, self.redis_retry_max)
        log.info("stop requested while waiting for redis at %s", where)
        return False

    async def _supervise(self, worker: Worker, role: str) -> None:
        """Run an arq worker, and run it again once Redis is back if an outage ends it.

        arq's poll loop ends at the first Redis error; without this a worker pod
        would stay up and ready, taking no job, after any Redis restart.
        """
        assert self.resources is not None
        redis = self.resources.redis
        outage = OutageLog(f"worker {role}", self.outage_reminder_every)
        while not self._stop.is_set():
            try:
                if outage.since is not None:
                    await asyncio.wait_for(redis.ping(), self.redis_ping_timeout)
                    outage.succeeded(time.monotonic())
                await worker.async_run()
                return
            except REDIS_DOWN as exc:
                outage.failed(exc, time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.redis_retry_initial)

    async def _scheduler_loop(self) -> None:
        assert self.pipeline is not None
        assert self.resources is not None
        p = self.pipeline
        holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        lease = Lease(self.resources.redis, K.SCHEDULER_LEASE, holder)
        outage = self.scheduler_outage
        while not self._stop.is_set():
            tick_s = wait = p.settings.polling.tick
            try:
                if await lease.acquire(ttl_seconds=max(3 * tick_s, 5.0)):
                    began = p.clock()
                    await scheduling.tick(p)
                    wait = await scheduling.next_tick_in(p, began)
                outage.succeeded(time.monotonic())
            except REDIS_DOWN as exc:  # an outage: a line when it starts, not per tick
                outage.failed(exc, time.monotonic())
            except Exception:  # one failed tick must not end scheduling
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
        with contextlib.suppress(*REDIS_DOWN):  # the lease expires by itself
            await lease.release()

    async def reload(self) -> bool:
        """Re-read the config; swap rules and senders whole, re-sync feeds.

        A config that does not validate is refused and the running one kept.
        """
        if self.config_path is None or self.pipeline is None or self.resources is None:
            return False
        try:
            settings = load_settings(self.config_path)
        except ConfigError as exc:
            log.error("config reload refused, keeping the running config:\n%s", exc)
            return False
        routing = build_routing(settings, self.resources.session)
        gone = {r.name for r in self.pipeline.settings.rules} - {r.name for r in settings.rules}
        # Both references change with no await in between: every job sees the old
        # config or the new one, never half of each.
        self.pipeline.routing = routing
        self.pipeline.settings = settings
        del routing
        freeze_long_lived()  # frees the replaced config, freezes the new one
        self.pipeline.metrics.forget_rules(gone)
        self.pipeline.metrics.prime(
            (r.name for r in settings.rules), (d.type for d in settings.destinations.values())
        )
        # Rules and senders are live from here; the feeds follow. If Redis cannot be
        # reached, this raises and the whole reload is done again (the watcher
        # retries; a SIGHUP logs it).
        await scheduling.sync_feeds(self.pipeline)
        log.info(
            "config reloaded",
            extra={"rules": len(settings.rules), "feeds": len(settings.feed_list)},
        )
        async with self._reloaded:
            self.reloads += 1
            self._reloaded.notify_all()
        return True

    async def wait_for_reloads(self, count: int) -> None:
        async with self._reloaded:
            await self._reloaded.wait_for(lambda: self.reloads >= count)

    def _config_fingerprint(self) -> bytes | None:
        assert self.config_path is not None
        try:
            return hashlib.sha256(self.config_path.read_bytes()).digest()
        except OSError:
            return None

    async def _watch_config(self) -> None:
        """Reload when the config file's content changes (a ConfigMap update, an edit)."""
        seen = self._config_fingerprint()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.config_watch_interval)
            current = self._config_fingerprint()
            if current is not None and current != seen:
                log.info("config file changed", extra={"config": str(self.config_path)})
                if await self.reload_logged():
                    seen = current  # else the same change is applied again next time

    async def reload_logged(self) -> bool:
        """`reload`, its failures logged: False only when it must be tried again
        (Redis unreachable); a refused config counts as done until the next change."""
        try:
            await self.reload()
        except REDIS_DOWN as exc:
            log.warning("config reload could not reach redis, trying again: %s", reason(exc))
            return False
        except Exception:  # a bug: say so, and keep watching
            log.exception("config reload failed")
        return True

    def request_stop(self) -> None:
        self._stop.set()

    async def wait(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        """Take no new jobs, let running ones finish (arq's job_completion_wait),
        then close. Jobs cut short stay in Redis and run again elsewhere."""
        self._stop.set()
        for worker in self._workers:
            worker.handle_sig_wait_for_completion(signal.SIGTERM)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        # Cancelled jobs still hand their work back to Redis (arq's finish_job, our
        # claim release) in shielded steps: let those end before Redis is closed.
        in_flight = [t for w in self._workers for t in w.tasks.values()]
        if in_flight:
            await asyncio.wait(in_flight, timeout=5)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.resources is not None:
            await self.resources.close()


def _bound_port(runner: web.AppRunner, configured: int) -> int:
    """The port actually bound, which differs from the configured one when it is 0."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return configured


async def serve(service: Service) -> None:
    """Run until SIGTERM or SIGINT; SIGHUP reloads the config."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, service.request_stop)
    loop.add_signal_handler(signal.SIGINT, service.request_stop)
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(service.reload_logged()))
    try:
        await service.start()
        await service.wait()
    finally:
        log.info("stopping")
        await service.stop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
