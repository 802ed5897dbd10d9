"""The composition root: the one place adapters are built from settings."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from arq.connections import ArqRedis

from service.adapters.delivery_guard import DeliveryGuard
from service.adapters.feed_store import FeedStore
from service.adapters.host_budget import HostBudget
from service.adapters.http_fetcher import HttpFetcher
from service.adapters.job_queue import ArqJobQueue
from service.adapters.redis_store import DeliveryStore, StoryStore
from service.adapters.senders.base import Sender
from service.adapters.senders.chat import discord_sender, slack_sender, teams_sender
from service.adapters.senders.console import ConsoleSender
from service.adapters.senders.webhook import WebhookSender
from service.adapters.story_index import StoryIndex
from service.core.rules import RuleSpec, compile_rules
from service.metrics import Metrics
from service.pipeline.context import Pipeline, Routing, feed_hosts
from service.settings import DestinationSettings, Settings

log = logging.getLogger(__name__)


def build_senders(settings: Settings, session: aiohttp.ClientSession) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    for name, dest in settings.destinations.items():
        if not dest.enabled:
            log.warning("destination has no URL and is off", extra={"destination": name})
            continue
        senders[name] = _sender(dest, session, settings.delivery.timeout)
    return senders


def _sender(
    dest: DestinationSettings, session: aiohttp.ClientSession, default_timeout: float
) -> Sender:
    timeout = dest.timeout if dest.timeout is not None else default_timeout
    url = dest.url.get_secret_value() if dest.url else ""
    if dest.type == "console":
        return ConsoleSender()
    if dest.type == "webhook":
        return WebhookSender(session, url, [s.get_secret_value() for s in dest.secret], timeout)
    chat = {"slack": slack_sender, "discord": discord_sender, "teams": teams_sender}
    return chat[dest.type](session, url, timeout)


def build_routing(settings: Settings, session: aiohttp.ClientSession) -> Routing:
    names = {f.name: f.feed_id for f in settings.feed_list if f.name}
    urls = {f.url: f.feed_id for f in settings.feed_list}
    specs = [
        RuleSpec(
            name=r.name,
            query=r.query,
            notify=r.notify,
            feeds=tuple(names.get(ref) or urls[ref] for ref in r.feeds),
            tags=r.tags,
            stem=r.stem,
            language=r.language,
        )
        for r in settings.rules
    ]
    return Routing(
        rules=compile_rules(specs),
        senders=build_senders(settings, session),
        feed_tags={f.feed_id: f.tags for f in settings.feed_list},
        feed_hosts=feed_hosts(settings.feed_list),
    )


@dataclass(slots=True)
class Resources:
    """What a built pipeline holds open; closed by `close`."""

    redis: ArqRedis
    session: aiohttp.ClientSession

    async def close(self) -> None:
        await self.session.close()
        await self.redis.aclose()


def build_pipeline(
    settings: Settings,
    redis_url: str,
    *,
    metrics: Metrics | None = None,
    clock: Callable[[], float] = time.time,
) -> tuple[Pipeline, Resources]:
    """Must be called inside a running event loop (aiohttp needs one)."""
    redis = ArqRedis.from_url(redis_url)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=200, limit_per_host=4, ttl_dns_cache=300),
        auto_decompress=True,
    )
    polling = settings.polling
    window = settings.stories.window
    pipeline = Pipeline(
        settings=settings,
        feeds=FeedStore(
            redis,
            polling.seen_per_feed,
            hosts=HostBudget(
                redis,
                concurrency=polling.per_host_concurrency,
                spacing=polling.per_host_spacing,
                lease_seconds=polling.total_timeout + 30,
            ),
        ),
        stories=StoryStore(redis, window),
        deliveries=DeliveryStore(redis, keep_seconds=max(window, 7 * 86400) + 86400),
        guard=DeliveryGuard(redis),
        index=StoryIndex(redis, int(window), capacity=settings.stories.capacity),
        fetcher=HttpFetcher(
            session,
            user_agent=polling.user_agent,
            connect_timeout=polling.connect_timeout,
            total_timeout=polling.total_timeout,
            max_bytes=polling.max_bytes,
        ),
        queue=ArqJobQueue(redis),
        routing=build_routing(settings, session),
        metrics=metrics or Metrics(),
        clock=clock,
        rand=random.random,
    )
    pipeline.metrics.prime(
        (r.name for r in settings.rules), (d.type for d in settings.destinations.values())
    )
    return pipeline, Resources(redis, session)
