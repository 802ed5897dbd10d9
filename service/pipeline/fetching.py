"""The fetch stage: conditional GET, parse off the event loop, new entries onward."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

from service.adapters.feed_parser import FeedParseError, ParsedFeed, parse_feed
from service.adapters.http_fetcher import FetchOutcome, FetchResult
from service.adapters.redis_store import FeedState
from service.core.entries import Entry, entry_to_dict
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)

MAX_ERROR_BACKOFF = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class FetchReport:
    outcome: str
    new_entries: int = 0
    error: str | None = None


def next_due(p: Pipeline, state: FeedState, now: float) -> float:
    return now + float(state.interval) * (0.9 + 0.2 * p.rand())


def error_due(p: Pipeline, state: FeedState, now: float) -> float:
    errors = state.consecutive_errors + 1
    backoff = min(MAX_ERROR_BACKOFF, state.interval * 2.0 ** min(errors, 16))
    return now + backoff * (0.9 + 0.2 * p.rand())


def _newest_first(entries: list[Entry]) -> list[Entry]:
    """Feeds list newest first by convention; dated entries are ordered by date."""
    dated = [(e.published, e) for e in entries if e.published is not None]
    if len(dated) == len(entries):
        return [e for _, e in sorted(dated, key=lambda pair: pair[0], reverse=True)]
    return entries


def process_job_key(feed_id: str, entry: Entry) -> str:
    return feed_id + ":" + hashlib.sha256(entry.key().encode()).hexdigest()[:24]


async def _fail(
    p: Pipeline, state: FeedState, outcome: str, error: str, now: float, status_class: str = "none"
) -> FetchReport:
    p.metrics.fetches.labels(outcome, status_class).inc()
    await p.feeds.record_error(
        state.feed_id,
        error=error,
        next_due=error_due(p, state, now),
        now=now,
        gone=error.startswith("HTTP 410"),
    )
    log.warning(
        "feed fetch failed: %s",
        error,
        extra={"feed": state.feed_id, "url": state.url, "outcome": outcome},
    )
    return FetchReport(outcome, error=error)


async def fetch_feed(p: Pipeline, feed_id: str) -> FetchReport:
    state = await p.feeds.get(feed_id)
    if state is None:
        return FetchReport("unknown_feed")
    started = time.perf_counter()
    result: FetchResult = await p.fetcher.fetch(
        state.url, etag=state.etag, last_modified=state.last_modified
    )
    p.metrics.fetch_duration.observe(time.perf_counter() - started)
    p.metrics.fetched_bytes.inc(result.bytes_read)
    now = p.clock()
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        p.metrics.fetches.labels("not_modified", result.status_class).inc()
        await p.feeds.record_success(feed_id, next_due=next_due(p, state, now), now=now)
        return FetchReport("not_modified")
    if result.outcome is not FetchOutcome.OK:
        return await _fail(
            p, state, result.outcome.value, result.error or "failed", now, result.status_class
        )
    try:
        parsed: ParsedFeed = await asyncio.to_thread(
            parse_feed, result.body, feed_id, result.content_type
        )
    except FeedParseError as exc:
        p.metrics.parse_errors.inc()
        return await _fail(p, state, "parse_error", str(exc), now, result.status_class)
    p.metrics.fetches.labels("ok", result.status_class).inc()
    if parsed.warning:
        log.info("feed parsed with a warning: %s", parsed.warning, extra={"feed": feed_id})
    unseen = await _unseen(p, state, parsed.entries)
    new = _newest_first(unseen)[: state.backfill] if state.polls == 0 else unseen
    # Enqueue before marking seen: a crash in between re-enqueues (same job ids,
    # idempotent stages) rather than losing the entries.
    for entry in new:
        await p.queue.enqueue_process(process_job_key(feed_id, entry), entry_to_dict(entry))
    await p.feeds.mark_seen(feed_id, [e.key() for e in unseen], now)
    p.metrics.entries_new.inc(len(new))
    await p.feeds.record_success(
        feed_id,
        next_due=next_due(p, state, now),
        now=now,
        etag=result.etag or "",
        last_modified=result.last_modified or "",
    )
    if new:
        log.info("new entries", extra={"feed": feed_id, "count": len(new)})
    return FetchReport("ok", new_entries=len(new))


async def _unseen(p: Pipeline, state: FeedState, entries: list[Entry]) -> list[Entry]:
    """Entries never seen in this feed, each once. On a feed's first poll they are
    all unseen, and only its `backfill` newest go on."""
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key(), entry)
    seen = await p.feeds.seen(state.feed_id, list(unique))
    return [e for e, was_seen in zip(unique.values(), seen, strict=True) if not was_seen]
