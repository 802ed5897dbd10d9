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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from arq.worker import Worker

from service.adapters import redis_keys as K
from service.adapters.job_queue import ArqJobQueue
from service.adapters.redis_store import Lease
from service.http_app import make_app
from service.long_lived import freeze_long_lived
from service.pipeline import scheduling
from service.pipeline.context import Pipeline
from service.settings import ConfigError, Settings, load_settings
from service.wiring import Resources, build_pipeline, build_routing
from workers.settings import QUEUE_ROLES, make_worker

log = logging.getLogger(__name__)


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

    async def start(self) -> None:
        self.pipeline, self.resources = build_pipeline(self.settings, self.redis_url)
        freeze_long_lived()  # the compiled rules live as long as this config
        p = self.pipeline
        await scheduling.sync_feeds(p)
        queue = ArqJobQueue(self.resources.redis)
        for role in self.roles.queues:
            worker = make_worker(role, p, self.resources.redis)
            self._workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.async_run(), name=f"worker-{role}"))
        if self.roles.scheduler:
            self._tasks.append(asyncio.create_task(self._scheduler_loop(), name="scheduler"))
        if self.config_path is not None and self.config_watch_interval > 0:
            self._tasks.append(asyncio.create_task(self._watch_config(), name="config-watch"))
        if self.roles.api:
            self._runner = web.AppRunner(make_app(p, queue), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.settings.http.host, self.settings.http.port)
            await site.start()
            self.http_port = _bound_port(self._runner, self.settings.http.port)
            base = f"http://{self.settings.http.host}:{self.http_port}"
            log.info("http listening: health %s/healthz, metrics %s/metrics", base, base)
            if self.on_ready:
                self.on_ready(base)
        self.started.set()

    async def _scheduler_loop(self) -> None:
        assert self.pipeline is not None
        assert self.resources is not None
        p = self.pipeline
        holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        lease = Lease(self.resources.redis, K.SCHEDULER_LEASE, holder)
        while not self._stop.is_set():
            tick_s = wait = p.settings.polling.tick
            try:
                if await lease.acquire(ttl_seconds=max(3 * tick_s, 5.0)):
                    began = p.clock()
                    await scheduling.tick(p)
                    wait = await scheduling.next_tick_in(p, began)
            except Exception:  # one failed tick must not end scheduling
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
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
        # Both references change with no await in between: every job sees the old
        # config or the new one, never half of each.
        self.pipeline.routing = routing
        self.pipeline.settings = settings
        del routing
        freeze_long_lived()  # frees the replaced config, freezes the new one
        self.pipeline.metrics.prime(
            (r.name for r in settings.rules), (d.type for d in settings.destinations.values())
        )
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
                seen = current
                log.info("config file changed", extra={"config": str(self.config_path)})
                await self.reload()

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
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(service.reload()))
    try:
        await service.start()
        await service.wait()
    finally:
        log.info("stopping")
        await service.stop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
