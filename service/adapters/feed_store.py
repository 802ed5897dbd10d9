"""Feeds in Redis: their configuration, what polling learnt about them, and when
each is due next (a sorted set the scheduler claims from).

One hash per feed holds everything the pure scheduling core needs between two
fetches (validators, body hash, publish history, health, redirect count), so a
fetch reads one hash and writes it back in one round trip.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arq.constants import expires_extra_ms, job_key_prefix, result_key_prefix
from redis.asyncio import Redis

from service.adapters import redis_keys as K
from service.adapters.fetch_jobs import fetch_job_payloads
from service.adapters.host_budget import (
    HOST_LUA,
    HostBudget,
    HostGrant,
    host_base,
    host_of,
    host_slots_key,
)
from service.adapters.redis_async import AutoPipeline, resolved, text
from service.core.schedule import (
    FeedStatus,
    Health,
    PublishHistory,
    RedirectState,
    redirect_from_fields,
    status_from_fields,
    status_to_fields,
)

REMOVED_FEED_TTL = 30 * 86400

_a = resolved
_s = text

# Fields a fetch may clear; the rest of a status or redirect count is rewritten whole.
_STATUS_FIELDS = ("health", "errors", "failing_since", "last_error", "last_ok_at")
_REDIRECT_FIELDS = ("redirect_target", "redirect_seen", "redirect_first_seen")


def seen_member(entry_key: str) -> bytes:
    """An entry key as its feed's seen set holds it: 8 bytes of its hash, not the
    GUID or link itself (a seen set is most of a feed's memory otherwise). Two keys
    of one feed collide with a chance of about n^2 / 2^65: nil for 5,000 entries."""
    return hashlib.blake2b(entry_key.encode(), digest_size=8).digest()


def _decode(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {_s(k): _s(v) for k, v in raw.items()}


def _number(h: Mapping[str, str], key: str) -> float | None:
    try:
        return float(h[key])
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed as configured, for the store: no pydantic in adapters' signatures.

    `interval` set: a fixed interval. None: adaptive, within the feed's own
    `min_interval` / `max_interval` when set, else the global ones.
    """

    feed_id: str
    url: str
    name: str | None
    tags: tuple[str, ...]
    interval: float | None
    backfill: int
    min_interval: float | None = None
    max_interval: float | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as the fetch stage sees it; `state` is new / ok / failing / gone."""

    feed_id: str
    url: str
    name: str | None
    tags: tuple[str, ...]
    interval: float | None
    backfill: int
    etag: str | None
    last_modified: str | None
    polls: int
    state: str
    consecutive_errors: int
    last_error: str | None
    failing_since: float | None
    min_interval: float | None = None
    max_interval: float | None = None
    # The adopted address after a confirmed 301/308; the config URL stays the identity.
    fetch_url: str | None = None
    body_hash: str | None = None
    history: str = ""
    ttl_seconds: float | None = None
    last_unconditional: float | None = None
    last_ok_at: float | None = None
    redirect_target: str | None = None
    redirect_seen: int = 0
    redirect_first_seen: float | None = None
    due: float | None = None

    @property
    def address(self) -> str:
        """Where to fetch the feed now."""
        return self.fetch_url or self.url

    @property
    def status(self) -> FeedStatus:
        return FeedStatus(
            health=Health.OK if self.state == "new" else Health(self.state),
            consecutive_errors=self.consecutive_errors,
            failing_since=self.failing_since,
            last_error=self.last_error,
            last_ok_at=self.last_ok_at,
        )

    @property
    def publish_history(self) -> PublishHistory:
        return PublishHistory.decode(self.history)

    @property
    def redirect(self) -> RedirectState:
        return RedirectState(self.redirect_target, self.redirect_seen, self.redirect_first_seen)

    @classmethod
    def from_hash(cls, feed_id: str, h: dict[str, str]) -> FeedState:
        status = status_from_fields(h)
        redirect = redirect_from_fields(h)
        interval = _number(h, "interval")
        return cls(
            feed_id=feed_id,
            url=h["url"],
            name=h.get("name") or None,
            tags=tuple(json.loads(h.get("tags", "[]"))),
            interval=interval if interval else None,
            backfill=int(h.get("backfill", "0")),
            etag=h.get("etag") or None,
            last_modified=h.get("last_modified") or None,
            polls=int(h.get("polls", "0")),
            state=status.health.value if "health" in h else "new",
            consecutive_errors=status.consecutive_errors,
            last_error=status.last_error,
            failing_since=status.failing_since,
            min_interval=_number(h, "min_interval") or None,
            max_interval=_number(h, "max_interval") or None,
            fetch_url=h.get("fetch_url") or None,
            body_hash=h.get("body_hash") or None,
            history=h.get("history", ""),
            ttl_seconds=_number(h, "ttl"),
            last_unconditional=_number(h, "last_uncond"),
            last_ok_at=status.last_ok_at,
            redirect_target=redirect.target,
            redirect_seen=redirect.seen,
            redirect_first_seen=redirect.first_seen,
            due=_number(h, "due"),
        )


@dataclass(frozen=True, slots=True)
class PollUpdate:
    """What one fetch changes on a feed, written in one round trip by `record_poll`.

    None leaves a field as it is; "" (or an empty mapping) clears it.
    """

    next_due: float
    now: float
    status: FeedStatus
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    history: PublishHistory | None = None
    ttl_seconds: float | None = None
    unconditional: bool = False
    redirect: Mapping[str, str] | None = None
    fetch_url: str | None = None
    counted_poll: bool = False


@dataclass(frozen=True, slots=True)
class Claimed:
    """One tick's claim: the feeds enqueued (with their due times), and whether the
    fetch queue's bound held some back (`overdue` feeds are due and still waiting)."""

    feeds: list[tuple[str, float]]
    held_back: bool
    overdue: int
    queue_depth: int
    # Due feeds looked at, and those rescheduled to their host's next turn instead.
    examined: int = 0
    deferred: int = 0


# KEYS: due zset, fetch queue zset. ARGV: now, limit, lease-until, max queue depth,
# feed key prefix, host key prefix, now ms, host lease ms, host spacing ms, feeds per
# job (the queue bound counts jobs).
# Due feeds are leased, not removed: a fetch that never reports back makes its
# feed due again when the lease ends. The claimed due time goes on the feed's
# hash, so the fetch can tell how late it runs. A feed whose host has no turn
# free under the spacing is not enqueued: it is given its turn (see host_budget)
# and rescheduled to it, without a job. Returns {depth, overdue, examined,
# deferred, id, due, id, due, ...}.
_CLAIM_DUE = HOST_LUA + """
local depth = redis.call('ZCARD', KEYS[2])
local limit = math.min(tonumber(ARGV[2]), (tonumber(ARGV[4]) - depth) * tonumber(ARGV[10]))
local now_ms, lease_ms, spacing = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local out = {depth, 0, 0, 0}
if limit > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES',
                         'LIMIT', 0, limit)
  out[3] = #due / 2
  for i = 1, #due, 2 do
    local id = due[i]
    local key = ARGV[5] .. id
    local at = now_ms
    if spacing > 0 then
      local h = redis.call('HMGET', key, 'fetch_host', 'host')
      local host = h[1] or h[2]
      if host then
        at = host_turn(ARGV[6] .. host, now_ms, lease_ms, spacing, id, true)
      end
    end
    if at > now_ms then
      redis.call('ZADD', KEYS[1], 'XX', at / 1000, id)
      out[4] = out[4] + 1
    else
      redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
      redis.call('HSET', key, 'due', due[i + 1])
      out[#out + 1] = id
      out[#out + 1] = due[i + 1]
    end
  end
end
out[2] = redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])
return out
"""

# KEYS: the feed's hash, the due zset, the host's slots zset. ARGV: feed id, next
# due, 1 to count a poll, the slot holder to release ("" for none), the number of
# fields to set, those field/value pairs, then the fields to clear. One call
# instead of a MULTI of six commands: the fetch's one write.
_RECORD_POLL = """
local n = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + 2 * n))
if #ARGV > 5 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 6 + 2 * n)) end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'polls', 1) end
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[3], ARGV[4]) end
return 1
"""

# KEYS: the feed's hash, the known set. ARGV: feed id, host key prefix, then the
# acquire arguments (now ms, holder, lease ms, max in flight, spacing ms).
# The fetch's first read: the feed's fields and a slot on its host, in one round
# trip. Returns {-1} for an unknown feed, {2} when the host is not stored, else
# {granted, wait ms, reserved, field, value, ...}.
_BEGIN_FETCH = HOST_LUA + """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {-1} end
local raw = redis.call('HGETALL', KEYS[1])
if #raw == 0 then return {-1} end
local h = redis.call('HMGET', KEYS[1], 'fetch_host', 'host')
local host = h[1] or h[2]
if not host then return {2} end
local g = acquire(ARGV[2] .. host, tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]),
                  tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[1])
local out = {g[1], g[2], g[3]}
for i = 1, #raw do out[#out + 1] = raw[i] end
return out
"""

# KEYS: the fetch queue. ARGV: expiry ms, then job id, score, payload per job.
# arq's own enqueue_job checks each job with WATCH in three round trips; this
# writes a whole batch in one, with the same keys and the same `SET NX` guarantee.
_ENQUEUE = """
local n = 0
for i = 2, #ARGV, 3 do
  if redis.call('SET', 'arq:job:' .. ARGV[i], ARGV[i + 2], 'NX', 'PX', ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    n = n + 1
  end
end
return n
"""


# KEYS: the feed's seen set, the process queue. ARGV: now (s), seen cap, job expiry
# ms, number of jobs, then job id, score, payload per job, then seen members.
# New entries' process jobs (arq's format, as `ArqRedis.enqueue_job` would write them,
# refused when the job or its result exists) and the seen set, atomically: an entry
# is never marked seen without its job, nor enqueued twice.
_RECORD_ENTRIES = f"""
local n = tonumber(ARGV[4])
for i = 5, 4 + 3 * n, 3 do
  local id = ARGV[i]
  if redis.call('EXISTS', '{result_key_prefix}' .. id) == 0 and
     redis.call('SET', '{job_key_prefix}' .. id, ARGV[i + 2], 'NX', 'PX', ARGV[3]) then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], id)
  end
end
for i = 5 + 3 * n, #ARGV do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
return n
"""


class FeedStore:
    """Feeds, their due times, and (`hosts`) the per-host budget their fetches share."""

    def __init__(
        self, redis: Redis, seen_per_feed: int = 5000, *, hosts: HostBudget | None = None
    ) -> None:
        self._r = redis
        self.hosts = hosts or HostBudget(redis, concurrency=2, spacing=1.0, lease_seconds=90)
        self._seen_cap = seen_per_feed
        self._claim_due = redis.register_script(_CLAIM_DUE)
        self._enqueue = redis.register_script(_ENQUEUE)
        # A fetch's calls go through one auto-pipeline: the hundreds of fetches in
        # flight share round trips (see AutoPipeline).
        self._batch = AutoPipeline(redis)
        self._begin_fetch = self._batch.script(_BEGIN_FETCH)
        self._record_poll = self._batch.script(_RECORD_POLL)
        self._record_entries = self._batch.script(_RECORD_ENTRIES)

    async def sync(self, feeds: Sequence[FeedRecord], first_due: dict[str, float]) -> list[str]:
        """Make Redis hold exactly the configured feeds; returns the removed ids.

        A feed already known keeps its state and due time; a new one is due at
        `first_due[feed_id]`.
        """
        known = {_s(m) for m in await _a(self._r.smembers(K.FEEDS_KNOWN))}
        wanted = {f.feed_id for f in feeds}
        pipe = self._r.pipeline(transaction=True)
        for f in feeds:
            key = K.feed(f.feed_id)
            mapping: dict[str, str | float] = {"url": f.url, "host": host_of(f.url)}
            cleared = []
            # Fields at their default are not stored (`FeedState.from_hash` fills
            # them in): ten thousand feeds, ten thousand copies of "[]" and "0".
            for name, value in (
                ("tags", json.dumps(list(f.tags)) if f.tags else None),
                ("backfill", f.backfill),
                ("name", f.name),
                ("interval", f.interval),
                ("min_interval", f.min_interval),
                ("max_interval", f.max_interval),
            ):
                if value:
                    mapping[name] = value
                else:
                    cleared.append(name)
            pipe.hset(key, mapping=mapping)
            if cleared:
                pipe.hdel(key, *cleared)
            pipe.persist(key)
            pipe.persist(K.feed_seen(f.feed_id))
            pipe.zadd(K.FEEDS_DUE, {f.feed_id: first_due[f.feed_id]}, nx=True)
            pipe.sadd(K.FEEDS_KNOWN, f.feed_id)
        removed = sorted(known - wanted)
        for feed_id in removed:
            pipe.zrem(K.FEEDS_DUE, feed_id)
            pipe.srem(K.FEEDS_KNOWN, feed_id)
            pipe.expire(K.feed(feed_id), REMOVED_FEED_TTL)
            pipe.expire(K.feed_seen(feed_id), REMOVED_FEED_TTL)
        await pipe.execute()
        return removed

    async def claim_due(
        self, now: float, limit: int, lease_until: float
    ) -> list[tuple[str, float]]:
        """Lease up to `limit` due feeds (no queue bound, nothing enqueued)."""
        claimed = await self._claim(now, limit, lease_until, queue="", max_queue=limit)
        return claimed.feeds

    async def _claim(
        self,
        now: float,
        limit: int,
        lease_until: float,
        *,
        queue: str,
        max_queue: int,
        per_job: int = 1,
    ) -> Claimed:
        hosts = self.hosts
        flat = await self._claim_due(
            keys=[K.FEEDS_DUE, queue or K.FEEDS_DUE + ":none"],
            args=[
                now,
                limit,
                lease_until,
                max_queue,
                K.feed(""),
                host_base(""),
                int(now * 1000),
                int(hosts.lease_seconds * 1000),
                int(hosts.spacing * 1000),
                per_job,
            ],
        )
        depth, overdue, examined, deferred = (int(x) for x in flat[:4])
        feeds = [(_s(flat[i]), float(flat[i + 1])) for i in range(4, len(flat), 2)]
        jobs = -(-len(feeds) // per_job)
        return Claimed(
            feeds,
            held_back=depth + jobs >= max_queue and overdue > 0,
            overdue=overdue,
            queue_depth=depth,
            examined=examined,
            deferred=deferred,
        )

    async def claim_and_enqueue(
        self,
        now: float,
        *,
        limit: int,
        lease_until: float,
        queue: str,
        function: str,
        max_queue: int,
        per_job: int = 1,
    ) -> Claimed:
        """Lease due feeds and put arq fetch jobs of `per_job` feeds each on `queue`,
        in two round trips, never letting the queue grow past `max_queue` jobs.

        Job ids carry the due time (`fetch:<feed>:<due ms>`), so a feed is fetched
        once per due time however many ticks or workers see it.
        """
        claimed = await self._claim(
            now, limit, lease_until, queue=queue, max_queue=max_queue, per_job=per_job
        )
        if claimed.feeds:
            args = fetch_job_payloads(function, claimed.feeds, now, per_job)
            await self._enqueue(keys=[queue], args=args)
        return claimed

    async def next_due(self) -> float | None:
        """The earliest due time in the due set (None when it is empty)."""
        first = await _a(self._r.zrange(K.FEEDS_DUE, 0, 0, withscores=True))
        return float(first[0][1]) if first else None

    async def reschedule(self, feed_id: str, due: float) -> None:
        """Move a claimed feed's due time (a deferral); nothing else changes."""
        await self._batch.execute("ZADD", K.FEEDS_DUE, "XX", repr(due), feed_id)

    async def begin_fetch(self, feed_id: str, now: float) -> tuple[FeedState, HostGrant] | None:
        """The feed and a slot on its host for this fetch (held by the feed id), in
        one round trip; None for a feed that is not configured (any more)."""
        reply = await self._begin_fetch(
            keys=[K.feed(feed_id), K.FEEDS_KNOWN],
            args=[feed_id, host_base(""), *self.hosts.lua_args(now, feed_id)],
        )
        if int(reply[0]) == -1:
            return None
        if int(reply[0]) == 2:  # stored before hosts were: ask the budget directly
            state = await self.get(feed_id)
            if state is None:
                return None
            return state, await self.hosts.acquire(host_of(state.address), feed_id, now, feed_id)
        raw = reply[3:]
        fields = {_s(raw[i]): _s(raw[i + 1]) for i in range(0, len(raw), 2)}
        return FeedState.from_hash(feed_id, fields), HostGrant.from_reply(reply)

    async def get(self, feed_id: str) -> FeedState | None:
        pipe = self._r.pipeline(transaction=False)
        pipe.hgetall(K.feed(feed_id))
        pipe.sismember(K.FEEDS_KNOWN, feed_id)
        raw_hash, known = await pipe.execute()
        raw = _decode(raw_hash)
        if "url" not in raw or not known:
            return None
        return FeedState.from_hash(feed_id, raw)

    async def seen(self, feed_id: str, keys: Sequence[str]) -> list[bool]:
        """For each entry key, whether this feed has shown it before."""
        if not keys:
            return []
        # Seen sets written before `seen_member` hold the keys themselves: both
        # forms are asked for until those age out of the set.
        members = [seen_member(k) for k in keys] + list(keys)
        scores = await self._batch.execute("ZMSCORE", K.feed_seen(feed_id), *members)
        n = len(keys)
        return [a is not None or b is not None for a, b in zip(scores[:n], scores[n:], strict=True)]

    async def mark_seen(self, feed_id: str, keys: Sequence[str], now: float) -> None:
        """Record entry keys, keeping the newest `seen_per_feed`."""
        await self.record_entries(feed_id, keys, now, queue="", jobs=())

    async def record_entries(
        self,
        feed_id: str,
        keys: Sequence[str],
        now: float,
        *,
        queue: str,
        jobs: Sequence[tuple[str, int, bytes]],
    ) -> None:
        """Enqueue arq jobs (id, score, payload) on `queue` and record entry keys as
        seen, keeping the newest `seen_per_feed`, in one atomic round trip."""
        if not keys and not jobs:
            return
        args: list[str | int | bytes] = [int(now), self._seen_cap, expires_extra_ms, len(jobs)]
        for job in jobs:
            args += job
        args += [seen_member(k) for k in keys]
        await self._record_entries(keys=[K.feed_seen(feed_id), queue or K.FEEDS_DUE], args=args)

    async def record_poll(
        self, feed_id: str, update: PollUpdate, *, release: tuple[str, str] | None = None
    ) -> None:
        """Write what one fetch learnt and the feed's next due time, atomically;
        `release` = (host, holder) frees the fetch's host slot in the same round trip."""
        key = K.feed(feed_id)
        mapping: dict[str, str | float] = {"last_fetch": f"{update.now:.0f}"}
        cleared: list[str] = [f for f in _STATUS_FIELDS if f != "health" and f != "errors"]
        status = status_to_fields(update.status)
        mapping.update(status)
        cleared = [f for f in cleared if f not in status]
        fetch_host = update.fetch_url and host_of(update.fetch_url)
        for name, value in (
            ("etag", update.etag),
            ("last_modified", update.last_modified),
            ("body_hash", update.body_hash),
            ("fetch_url", update.fetch_url),
            ("fetch_host", fetch_host),
        ):
            if value:
                mapping[name] = value
            elif value == "":
                cleared.append(name)
        if update.history is not None:
            encoded = update.history.encode()
            if encoded:
                mapping["history"] = encoded
            else:
                cleared.append("history")
        if update.ttl_seconds is not None:
            mapping["ttl"] = f"{update.ttl_seconds:.0f}"
        if update.unconditional:
            mapping["last_uncond"] = f"{update.now:.0f}"
        if update.redirect is not None:
            mapping.update(update.redirect)
            cleared += [f for f in _REDIRECT_FIELDS if f not in update.redirect]
        args: list[str | float | int] = [
            feed_id,
            repr(update.next_due),
            1 if update.counted_poll else 0,
            release[1] if release is not None else "",
            len(mapping),
        ]
        for field_name, field_value in mapping.items():
            args += [field_name, field_value]
        args += cleared
        slots = host_slots_key(release[0]) if release is not None else K.FEEDS_DUE
        await self._record_poll(keys=[key, K.FEEDS_DUE, slots], args=args)

    async def states(self) -> dict[str, int]:
        """How many configured feeds are in each state."""
        ids = [_s(m) for m in await _a(self._r.smembers(K.FEEDS_KNOWN))]
        pipe = self._r.pipeline(transaction=False)
        for feed_id in ids:
            pipe.hget(K.feed(feed_id), "health")
        counts: dict[str, int] = {"new": 0, "ok": 0, "failing": 0, "gone": 0}
        for state in await pipe.execute():
            name = _s(state) if state else "new"
            counts[name] = counts.get(name, 0) + 1
        return counts

    async def all_states(self) -> list[FeedState]:
        ids = sorted(_s(m) for m in await _a(self._r.smembers(K.FEEDS_KNOWN)))
        pipe = self._r.pipeline(transaction=False)
        for feed_id in ids:
            pipe.hgetall(K.feed(feed_id))
        return [
            FeedState.from_hash(fid, _decode(raw))
            for fid, raw in zip(ids, await pipe.execute(), strict=True)
            if raw
        ]
