"""The fetch stage: take a slot on the feed's host, conditional GET, skip an
unchanged body, parse off the event loop, send new entries onward, and write
back what was learnt with the next due time from `core.schedule`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, replace

from service.adapters import redis_keys as K
from service.adapters.fast_feed_parser import Declined, Pending
from service.adapters.feed_parser import (
    FeedParseError,
    PendingFeed,
    parse_feed_pending,
    parse_with_feedparser,
    pending_feed,
)
from service.adapters.feed_store import FeedState, PollUpdate
from service.adapters.fetch_jobs import FEED_SEPARATOR, process_job_payloads
from service.adapters.host_budget import HostGrant, host_of
from service.adapters.http_fetcher import FetchOutcome, FetchResult
from service.adapters.job_queue import PROCESS_JOB
from service.core import schedule
from service.core.entries import Entry, entry_to_dict, loggable_url
from service.core.schedule import FeedHints, PollPolicy
from service.pipeline.context import Pipeline
from service.pipeline.scheduling import poll_policy

log = logging.getLogger(__name__)

# A deferred feed comes back after the host's wait plus up to this much jitter
# (at least), so feeds of one busy host do not all retry at the same instant.
MIN_DEFER_JITTER = 0.25


@dataclass(frozen=True, slots=True)
class FetchReport:
    outcome: str
    new_entries: int = 0
    error: str | None = None


def _newest_first(entries: list[Entry]) -> list[Entry]:
    """Feeds list newest first by convention; dated entries are ordered by date."""
    dated = [(e.published, e) for e in entries if e.published is not None]
    if len(dated) == len(entries):
        return [e for _, e in sorted(dated, key=lambda pair: pair[0], reverse=True)]
    return entries


def process_job_key(feed_id: str, entry: Entry) -> str:
    return feed_id + ":" + hashlib.sha256(entry.key().encode()).hexdigest()[:24]


def body_hash(body: bytes) -> str:
    """8 bytes are plenty: a collision would skip one changed body's parse, at odds
    of 2^-64 per fetch; the hash is stored on every feed."""
    return hashlib.blake2b(body, digest_size=8).hexdigest()


def feed_policy(p: Pipeline, state: FeedState) -> PollPolicy:
    policy = poll_policy(p.settings.polling).for_feed(state.min_interval, state.max_interval)
    if state.interval is not None and 2 * state.interval < policy.error_base:
        policy = replace(policy, error_base=2 * state.interval)
    return policy


def next_due(
    state: FeedState,
    status: schedule.FeedStatus,
    history: schedule.PublishHistory,
    hints: FeedHints,
    now: float,
    rand: float,
    policy: PollPolicy,
) -> float:
    """The next check: adaptive from the publish history, or the feed's fixed
    `interval` (±jitter) when it sets one; hints and errors apply to both."""
    if state.interval is None or status.health is not schedule.Health.OK:
        return schedule.next_check_for_status(status, history, now, rand, policy, hints)
    delay = state.interval * (1 + policy.jitter * (2 * rand - 1))
    if hints.not_before is not None:
        delay = max(delay, min(hints.not_before - now, policy.max_hint_interval))
    return now + delay


def _defer_jitter(p: Pipeline, grant: HostGrant) -> float:
    """None for a reserved start time (it is exact); some when the host was full,
    so the feeds waiting for it do not all come back at one instant."""
    if grant.reserved:
        return 0.0
    return max(p.feeds.hosts.spacing, MIN_DEFER_JITTER) * p.rand()


async def fetch_feed(p: Pipeline, feed_id: str) -> FetchReport:
    """Fetch one feed, or the comma-separated feeds of a batched job (`fetch_jobs`)."""
    if FEED_SEPARATOR in feed_id:
        return await fetch_feeds(p, feed_id.split(FEED_SEPARATOR))
    return await _fetch_one(p, feed_id)


async def fetch_feeds(p: Pipeline, feed_ids: list[str]) -> FetchReport:
    """The feeds of one job, concurrently. One feed's failure is logged and does not
    fail the job (an arq retry would fetch the others again): its claim's lease
    runs out and it comes due again, as when a worker dies."""
    reports = await asyncio.gather(*(_fetch_one(p, f) for f in feed_ids), return_exceptions=True)
    new = 0
    for feed_id, report in zip(feed_ids, reports, strict=True):
        if isinstance(report, BaseException):
            if not isinstance(report, Exception):
                raise report
            log.error("fetch crashed: %r", report, extra={"feed": feed_id}, exc_info=report)
        else:
            new += report.new_entries
    return FetchReport(f"batch of {len(feed_ids)}", new_entries=new)


async def _fetch_one(p: Pipeline, feed_id: str) -> FetchReport:
    now = p.clock()
    begun = await p.feeds.begin_fetch(feed_id, now)
    if begun is None:
        return FetchReport("unknown_feed")
    state, grant = begun
    if state.due is not None:
        p.metrics.fetch_lag.observe(max(0.0, now - state.due))
    if not grant.granted:
        await p.feeds.reschedule(feed_id, now + grant.wait + _defer_jitter(p, grant))
        p.metrics.fetch_deferrals.labels("host_busy").inc()
        return FetchReport("deferred")
    host, holder = host_of(state.address), feed_id
    released = False
    try:
        report, released = await _fetch_with_slot(p, state, host, holder)
        return report
    finally:
        if not released:
            await p.feeds.hosts.release(host, holder)


async def _fetch_with_slot(
    p: Pipeline, state: FeedState, host: str, holder: str
) -> tuple[FetchReport, bool]:
    """The fetch proper; the slot is released with the final write when it returns True."""
    policy = feed_policy(p, state)
    started_at = p.clock()
    unconditional = schedule.should_fetch_unconditionally(
        state.last_unconditional, started_at, policy
    )
    started = time.perf_counter()
    result: FetchResult = await p.fetcher.fetch(
        state.address,
        etag=None if unconditional else state.etag,
        last_modified=None if unconditional else state.last_modified,
    )
    p.metrics.fetch_duration.observe(time.perf_counter() - started)
    p.metrics.fetched_bytes.inc(result.bytes_read)
    now = p.clock()
    release = (host, holder)
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        p.metrics.fetches.labels("not_modified", result.status_class).inc()
        await _succeed(p, state, result, policy, now, unconditional, release)
        return FetchReport("not_modified"), True
    if result.outcome is not FetchOutcome.OK:
        report = await _fail(
            p, state, result, result.outcome.value, result.error or "failed", policy, now, release
        )
        return report, True
    digest = body_hash(result.body)
    if digest == state.body_hash and state.polls > 0:
        p.metrics.fetches.labels("ok", result.status_class).inc()
        p.metrics.fetch_unchanged.inc()
        await _succeed(p, state, result, policy, now, unconditional, release, body=digest)
        return FetchReport("unchanged"), True
    try:
        parsed, declined = await asyncio.to_thread(
            parse_feed_pending, result.body, state.feed_id, result.content_type
        )
        try:
            new = await _new_entries(p, state, parsed, now)
        except Declined as late:  # an unseen entry the fast path cannot read after all
            declined = str(late)
            parsed = pending_feed(
                await asyncio.to_thread(
                    parse_with_feedparser, result.body, state.feed_id, result.content_type
                )
            )
            new = await _new_entries(p, state, parsed, now)
    except FeedParseError as exc:
        p.metrics.feed_parse.labels("feedparser").inc()
        p.metrics.parse_errors.inc()
        report = await _fail(p, state, result, "parse_error", str(exc), policy, now, release)
        return report, True
    p.metrics.feed_parse.labels("fast" if declined is None else "feedparser").inc()
    p.metrics.fetches.labels("ok", result.status_class).inc()
    if parsed.warning:
        log.info("feed parsed with a warning: %s", parsed.warning, extra={"feed": state.feed_id})
    history = state.publish_history
    if state.polls > 0:
        history = history.record(now, len(new), policy)
    await _succeed(
        p,
        state,
        result,
        policy,
        now,
        unconditional,
        release,
        body=digest,
        history=history,
        ttl=parsed.ttl_seconds,
    )
    if new:
        log.info("new entries", extra={"feed": state.feed_id, "count": len(new)})
    return FetchReport("ok", new_entries=len(new)), True


async def _new_entries(
    p: Pipeline, state: FeedState, parsed: PendingFeed, now: float
) -> list[Entry]:
    """Read in full the entries the feed's seen set does not hold, send the new ones
    on and record them as seen. Raises `Declined` (having written nothing) when the
    fast path cannot read one of them."""
    unseen_pending = await _unseen(p, state, parsed.entries)
    if len(unseen_pending) > _READ_INLINE:
        unseen = await asyncio.to_thread(_read_all, unseen_pending)
    else:
        unseen = _read_all(unseen_pending)
    new = _newest_first(unseen)[: state.backfill] if state.polls == 0 else unseen
    # The process jobs and the seen set are written together, atomically: an entry
    # is never marked seen without its job (job ids make a repeat harmless).
    jobs = [(process_job_key(state.feed_id, e), entry_to_dict(e)) for e in new]
    await p.feeds.record_entries(
        state.feed_id,
        [e.key for e in unseen_pending if e.key is not None],  # the keys the seen set was asked
        now,
        queue=K.QUEUE_PROCESS,
        jobs=process_job_payloads(PROCESS_JOB, jobs, now),
    )
    p.metrics.entries_new.inc(len(new))
    return new


async def _succeed(
    p: Pipeline,
    state: FeedState,
    result: FetchResult,
    policy: PollPolicy,
    now: float,
    unconditional: bool,
    release: tuple[str, str],
    *,
    body: str | None = None,
    history: schedule.PublishHistory | None = None,
    ttl: float | None = None,
) -> None:
    kind: schedule.OutcomeKind = (
        "not_modified" if result.outcome is FetchOutcome.NOT_MODIFIED else "fetched"
    )
    status = schedule.transition(state.status, schedule.FetchOutcome(kind), now)
    decision = schedule.observe_redirects(state.redirect, result.hops, now, policy)
    fetch_url: str | None = None
    if decision.adopt is not None:
        fetch_url = "" if decision.adopt == state.url else decision.adopt
        p.metrics.redirects_adopted.inc()
        log.warning(
            "feed moved permanently: now fetched from %s (its id stays that of %s)",
            loggable_url(decision.adopt),
            loggable_url(state.url),
            extra={"feed": state.feed_id},
        )
    ttl_seconds = ttl if ttl is not None else state.ttl_seconds
    hints = FeedHints.from_response(result.hints, now, ttl_seconds)
    known = history if history is not None else state.publish_history
    due = next_due(state, status, known, hints, now, p.rand(), policy)
    ok = result.outcome is FetchOutcome.OK
    await p.feeds.record_poll(
        state.feed_id,
        PollUpdate(
            next_due=due,
            now=now,
            status=status,
            etag=(result.etag or "") if ok else result.etag,
            last_modified=(result.last_modified or "") if ok else result.last_modified,
            body_hash=body,
            history=history,
            ttl_seconds=ttl,
            unconditional=unconditional,
            redirect=schedule.redirect_to_fields(decision.state),
            fetch_url=fetch_url,
            # A 304 before any 200 recorded nothing: the first 200 is still the
            # poll that records what is there without alerting on it.
            counted_poll=not (kind == "not_modified" and state.polls == 0),
        ),
        release=release,
    )


async def _fail(
    p: Pipeline,
    state: FeedState,
    result: FetchResult,
    outcome: str,
    error: str,
    policy: PollPolicy,
    now: float,
    release: tuple[str, str],
) -> FetchReport:
    p.metrics.fetches.labels(outcome, result.status_class).inc()
    kind: schedule.OutcomeKind = "gone" if result.status == 410 else "error"
    status = schedule.transition(state.status, schedule.FetchOutcome(kind, error), now)
    # Only Retry-After may hold a failing feed past max_error_backoff: the cache
    # headers of an error page (a CDN caching a 503 for a day) say nothing of the feed.
    retry_after = {k: v for k, v in result.hints.items() if k.lower() == "retry-after"}
    hints = FeedHints.from_response(retry_after, now)
    due = next_due(state, status, state.publish_history, hints, now, p.rand(), policy)
    await p.feeds.record_poll(
        state.feed_id, PollUpdate(next_due=due, now=now, status=status), release=release
    )
    log.warning(
        "feed fetch failed: %s",
        error,
        extra={
            "feed": state.feed_id,
            "url": loggable_url(state.address),
            "outcome": outcome,
            "state": status.health.value,
            "retry_in": round(due - now),
        },
    )
    return FetchReport(outcome, error=error)


async def _unseen(p: Pipeline, state: FeedState, entries: list[Pending]) -> list[Pending]:
    """Entries never seen in this feed, each once. On a feed's first poll they are
    all unseen, and only its `backfill` newest go on."""
    unique: dict[str, Pending] = {}
    for entry in entries:
        if entry.key is not None:  # always set by parse_feed_pending
            unique.setdefault(entry.key, entry)
    repeated = len(entries) - len(unique)
    if repeated:
        # Entries are told apart by their GUID (else link): a feed that gives
        # several entries one GUID loses all but the first. Say so, at least.
        log.warning(
            "%d of the feed's entries repeat another entry's id (GUID, else link) and are not read",
            repeated,
            extra={"feed": state.feed_id, "url": loggable_url(state.address)},
        )
    seen = await p.feeds.seen(state.feed_id, list(unique))
    return [e for e, was_seen in zip(unique.values(), seen, strict=True) if not was_seen]


# A few entries are read on the event loop (tens of microseconds each); a feed's
# first poll, with all its entries new, is read in a thread.
_READ_INLINE = 4


def _read_all(entries: list[Pending]) -> list[Entry]:
    return [entry.read() for entry in entries]
