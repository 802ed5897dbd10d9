"""Running feedwatch: workers, the scheduler and the HTTP server in one process,
each role optional, with a graceful stop and a config reload on SIGHUP."""

from __future__ import annotations

import asyncio
import contextlib
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

    async def start(self) -> None:
        self.pipeline, self.resources = build_pipeline(self.settings, self.redis_url)
        p = self.pipeline
        await scheduling.sync_feeds(p)
        queue = ArqJobQueue(self.resources.redis)
        for role in self.roles.queues:
            worker = make_worker(role, p, self.resources.redis)
            self._workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.async_run(), name=f"worker-{role}"))
        if self.roles.scheduler:
            self._tasks.append(asyncio.create_task(self._scheduler_loop(), name="scheduler"))
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

    async def _scheduler_loop(self) -> None:
        assert self.pipeline is not None
        assert self.resources is not None
        p = self.pipeline
        holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        lease = Lease(self.resources.redis, K.SCHEDULER_LEASE, holder)
        tick_s = self.settings.polling.tick
        while not self._stop.is_set():
            try:
                if await lease.acquire(ttl_seconds=max(3 * tick_s, 5.0)):
                    await scheduling.tick(p)
            except Exception:  # one failed tick must not end scheduling
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=tick_s)
        await lease.release()

    async def reload(self) -> None:
        """Re-read the config; swap rules and senders whole, re-sync feeds."""
        if self.config_path is None or self.pipeline is None or self.resources is None:
            return
        try:
            settings = load_settings(self.config_path)
        except ConfigError as exc:
            log.error("config reload refused, keeping the running config:\n%s", exc)
            return
        self.pipeline.routing = build_routing(settings, self.resources.session)
        self.pipeline.settings = settings
        await scheduling.sync_feeds(self.pipeline)
        log.info(
            "config reloaded",
            extra={"rules": len(settings.rules), "feeds": len(settings.feed_list)},
        )

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
