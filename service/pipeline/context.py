"""What the pipeline stages need, built once by `wiring` and shared by the jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from service.adapters.delivery_guard import DeliveryGuard
from service.adapters.feed_store import FeedStore
from service.adapters.http_fetcher import HttpFetcher
from service.adapters.redis_store import DeliveryStore, StoryStore
from service.adapters.senders.base import Sender
from service.adapters.story_index import StoryIndex
from service.core.entries import outlet_of
from service.core.rules import RuleSet
from service.metrics import Metrics
from service.settings import FeedSettings, Settings


class JobQueue(Protocol):
    async def enqueue_fetch(self, feed_id: str, due: float) -> None: ...

    async def enqueue_process(self, job_key: str, entry: dict[str, object]) -> None: ...

    async def enqueue_deliver(
        self, delivery_id: str, *, delay: float = 0.0, replay: str = ""
    ) -> None: ...


@dataclass(slots=True)
class Routing:
    """The compiled rules and the live senders; swapped whole on a config reload."""

    rules: RuleSet
    senders: dict[str, Sender]
    feed_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A feed's host: the outlet of its entries that have no link.
    feed_hosts: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Pipeline:
    settings: Settings
    feeds: FeedStore
    stories: StoryStore
    deliveries: DeliveryStore
    guard: DeliveryGuard
    index: StoryIndex
    fetcher: HttpFetcher
    queue: JobQueue
    routing: Routing
    metrics: Metrics
    clock: Callable[[], float]
    rand: Callable[[], float]


def feed_hosts(feeds: Iterable[FeedSettings]) -> dict[str, str]:
    """Each feed's host (without `www.`), by feed id."""
    return {f.feed_id: host for f in feeds if (host := outlet_of(f.url))}
