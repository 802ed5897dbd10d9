"""Feed state, stories and delivery records in Redis.

Every key comes from `redis_keys`; everything has a TTL or a bounded size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from service.adapters import redis_keys as K
from service.adapters.redis_async import resolved, text
from service.core.alerts import Copy

REMOVED_FEED_TTL = 30 * 86400
DEAD_LETTERS_KEPT = 10_000


_a = resolved
_s = text


def _decode(raw: dict[Any, Any]) -> dict[str, str]:
    return {_s(k): _s(v) for k, v in raw.items()}


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed as configured, for the store: no pydantic in adapters' signatures."""

    feed_id: str
    url: str
    name: str | None
    tags: tuple[str, ...]
    interval: float
    backfill: int


@dataclass(frozen=True, slots=True)
class FeedState:
    feed_id: str
    url: str
    name: str | None
    tags: tuple[str, ...]
    interval: float
    backfill: int
    etag: str | None
    last_modified: str | None
    polls: int
    state: str
    consecutive_errors: int
    last_error: str | None
    failing_since: float | None

    @classmethod
    def from_hash(cls, feed_id: str, h: dict[str, str]) -> FeedState:
        return cls(
            feed_id=feed_id,
            url=h["url"],
            name=h.get("name") or None,
            tags=tuple(json.loads(h.get("tags", "[]"))),
            interval=float(h.get("interval", "300")),
            backfill=int(h.get("backfill", "0")),
            etag=h.get("etag") or None,
            last_modified=h.get("last_modified") or None,
            polls=int(h.get("polls", "0")),
            state=h.get("state", "new"),
            consecutive_errors=int(h.get("errors", "0")),
            last_error=h.get("last_error") or None,
            failing_since=float(h["failing_since"]) if h.get("failing_since") else None,
        )


# ARGV: now, limit, lease-until. Due feeds are leased, not removed: a fetch that
# never reports back makes its feed due again when the lease ends.
_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], due[i])
end
return due
"""


class FeedStore:
    def __init__(self, redis: Redis, seen_per_feed: int = 5000) -> None:
        self._r = redis
        self._seen_cap = seen_per_feed
        self._claim_due = redis.register_script(_CLAIM_DUE)

    async def sync(self, feeds: Sequence[FeedRecord], first_due: dict[str, float]) -> list[str]:
        """Make Redis hold exactly the configured feeds; returns the removed ids.

        A feed already known keeps its state and due time; a new one is due at
        `first_due[feed_id]`.
        """
        known = {_s(m) for m in await _a(self._r.smembers(K.FEEDS_KNOWN))}
        wanted = {f.feed_id for f in feeds}
        pipe = self._r.pipeline(transaction=True)
        for f in feeds:
            pipe.hset(
                K.feed(f.feed_id),
                mapping={
                    "url": f.url,
                    "name": f.name or "",
                    "tags": json.dumps(list(f.tags)),
                    "interval": f.interval,
                    "backfill": f.backfill,
                },
            )
            pipe.persist(K.feed(f.feed_id))
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
        flat = await self._claim_due(keys=[K.FEEDS_DUE], args=[now, limit, lease_until])
        return [(_s(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def get(self, feed_id: str) -> FeedState | None:
        raw = _decode(await _a(self._r.hgetall(K.feed(feed_id))))
        if "url" not in raw or not await _a(self._r.sismember(K.FEEDS_KNOWN, feed_id)):
            return None
        return FeedState.from_hash(feed_id, raw)

    async def seen(self, feed_id: str, keys: Sequence[str]) -> list[bool]:
        """For each entry key, whether this feed has shown it before."""
        if not keys:
            return []
        scores = await self._r.zmscore(K.feed_seen(feed_id), list(keys))
        return [score is not None for score in scores]

    async def mark_seen(self, feed_id: str, keys: Sequence[str], now: float) -> None:
        """Record entry keys, keeping the newest `seen_per_feed`."""
        if not keys:
            return
        pipe = self._r.pipeline(transaction=True)
        pipe.zadd(K.feed_seen(feed_id), dict.fromkeys(keys, now), nx=True)
        pipe.zremrangebyrank(K.feed_seen(feed_id), 0, -self._seen_cap - 1)
        await pipe.execute()

    async def record_success(
        self,
        feed_id: str,
        *,
        next_due: float,
        now: float,
        etag: str | None = None,
        last_modified: str | None = None,
        counted_poll: bool = True,
    ) -> None:
        pipe = self._r.pipeline(transaction=True)
        mapping: dict[str, str | float] = {"state": "ok", "errors": 0, "last_fetch": now}
        if etag is not None:
            mapping["etag"] = etag
        if last_modified is not None:
            mapping["last_modified"] = last_modified
        pipe.hset(K.feed(feed_id), mapping=mapping)
        pipe.hdel(K.feed(feed_id), "last_error", "failing_since")
        if counted_poll:
            pipe.hincrby(K.feed(feed_id), "polls", 1)
        pipe.zadd(K.FEEDS_DUE, {feed_id: next_due}, xx=True)
        await pipe.execute()

    async def record_error(
        self, feed_id: str, *, error: str, next_due: float, now: float, gone: bool = False
    ) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(
            K.feed(feed_id),
            mapping={
                "state": "gone" if gone else "failing",
                "last_error": error[:500],
                "last_fetch": now,
            },
        )
        pipe.hsetnx(K.feed(feed_id), "failing_since", str(now))
        pipe.hincrby(K.feed(feed_id), "errors", 1)
        pipe.zadd(K.FEEDS_DUE, {feed_id: next_due}, xx=True)
        await pipe.execute()

    async def states(self) -> dict[str, int]:
        """How many configured feeds are in each state."""
        ids = [_s(m) for m in await _a(self._r.smembers(K.FEEDS_KNOWN))]
        pipe = self._r.pipeline(transaction=False)
        for feed_id in ids:
            pipe.hget(K.feed(feed_id), "state")
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


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


@dataclass(frozen=True, slots=True)
class StoryRecord:
    story_id: str
    title: str
    link: str | None
    first_outlet: str
    first_seen: float
    published: float | None
    copies: tuple[Copy, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.outlet for c in self.copies))


class StoryStore:
    COPIES_KEPT = 200

    def __init__(self, redis: Redis, window_seconds: float) -> None:
        self._r = redis
        self._ttl = int(window_seconds)

    async def create(
        self,
        story_id: str,
        *,
        title: str,
        link: str | None,
        outlet: str,
        first_seen: float,
        published: float | None,
    ) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hsetnx(K.story(story_id), "first_seen", str(first_seen))
        pipe.hsetnx(K.story(story_id), "title", title)
        pipe.hsetnx(K.story(story_id), "link", link or "")
        pipe.hsetnx(K.story(story_id), "first_outlet", outlet)
        if published is not None:
            pipe.hsetnx(K.story(story_id), "published", str(published))
        pipe.expire(K.story(story_id), self._ttl)
        await pipe.execute()

    async def add_copy(self, story_id: str, copy: Copy) -> bool:
        """Record one outlet's copy; True if this URL was not recorded before."""
        field = copy.url or copy.outlet
        value = json.dumps(
            {
                "outlet": copy.outlet,
                "url": copy.url,
                "seen_at": copy.seen_at.timestamp(),
                "credits": copy.credits,
            }
        )
        pipe = self._r.pipeline(transaction=True)
        pipe.hsetnx(K.story_copies(story_id), field, value)
        pipe.expire(K.story_copies(story_id), self._ttl)
        pipe.expire(K.story(story_id), self._ttl)
        added, _, _ = await pipe.execute()
        if added and await _a(self._r.hlen(K.story_copies(story_id))) > self.COPIES_KEPT:
            await _a(self._r.hdel(K.story_copies(story_id), field))
            return False
        return bool(added)

    async def get(self, story_id: str) -> StoryRecord | None:
        pipe = self._r.pipeline(transaction=False)
        pipe.hgetall(K.story(story_id))
        pipe.hvals(K.story_copies(story_id))
        raw, raw_copies = await pipe.execute()
        h = _decode(raw)
        if "first_seen" not in h:
            return None
        copies = []
        for item in raw_copies:
            c = json.loads(item)
            copies.append(
                Copy(
                    outlet=c["outlet"],
                    url=c["url"],
                    seen_at=datetime.fromtimestamp(c["seen_at"], tz=UTC),
                    credits=c.get("credits"),
                )
            )
        copies.sort(key=lambda c: c.seen_at)
        return StoryRecord(
            story_id=story_id,
            title=h.get("title", ""),
            link=h.get("link") or None,
            first_outlet=h.get("first_outlet", ""),
            first_seen=float(h["first_seen"]),
            published=float(h["published"]) if h.get("published") else None,
            copies=tuple(copies),
        )


# KEYS: the delivery hash, its destination's pending set. ARGV: TTL, created,
# delivery id, then field/value pairs.
_CREATE_DELIVERY = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    delivery_id: str
    story_id: str
    destination: str
    rules: tuple[str, ...]
    terms: tuple[str, ...]
    snippet: str
    status: str
    attempts: int
    created: float
    last_error: str | None
    dead_at: float | None
    kind: str = "alert"
    window_end: float | None = None
    flood_counted: bool = False
    highlights: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_hash(cls, delivery_id: str, h: dict[str, str]) -> DeliveryRecord:
        return cls(
            delivery_id=delivery_id,
            story_id=h["story_id"],
            destination=h["destination"],
            rules=tuple(json.loads(h.get("rules", "[]"))),
            terms=tuple(json.loads(h.get("terms", "[]"))),
            snippet=h.get("snippet", ""),
            highlights=tuple((int(a), int(b)) for a, b in json.loads(h.get("highlights", "[]"))),
            status=h.get("status", "pending"),
            attempts=int(h.get("attempts", "0")),
            created=float(h.get("created", "0")),
            last_error=h.get("last_error") or None,
            dead_at=float(h["dead_at"]) if h.get("dead_at") else None,
            kind=h.get("kind", "alert"),
            window_end=float(h["window_end"]) if h.get("window_end") else None,
            flood_counted=h.get("flood_counted") == "1",
        )


class DeliveryStore:
    def __init__(self, redis: Redis, keep_seconds: float) -> None:
        self._r = redis
        self._ttl = int(keep_seconds)
        self._create = redis.register_script(_CREATE_DELIVERY)

    async def create(
        self,
        delivery_id: str,
        *,
        story_id: str,
        destination: str,
        rules: Iterable[str],
        terms: Iterable[str],
        snippet: str,
        now: float,
        highlights: Iterable[tuple[int, int]] = (),
        kind: str = "alert",
        window_end: float | None = None,
    ) -> bool:
        """Record a delivery once; False when (story, destination) already has one."""
        fields: dict[str, str | int | float] = {
            "story_id": story_id,
            "destination": destination,
            "rules": json.dumps(list(rules)),
            "terms": json.dumps(list(terms)),
            "snippet": snippet,
            "highlights": json.dumps([list(span) for span in highlights]),
            "status": "pending",
            "attempts": 0,
            "created": now,
            "kind": kind,
        }
        if window_end is not None:
            fields["window_end"] = window_end
        args: list[str | int | float] = [self._ttl, now, delivery_id]
        for k, v in fields.items():
            args += [k, v]
        keys = [K.delivery(delivery_id), K.pending(destination)]
        return bool(await self._create(keys=keys, args=args))

    async def pending_for(self, destination: str) -> list[str]:
        return [_s(m) for m in await self._r.zrange(K.pending(destination), 0, -1)]

    async def mark_flood_counted(self, delivery_id: str) -> None:
        await _a(self._r.hset(K.delivery(delivery_id), "flood_counted", "1"))

    async def unpend(self, destination: str, delivery_id: str) -> None:
        await self._r.zrem(K.pending(destination), delivery_id)

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        raw = _decode(await _a(self._r.hgetall(K.delivery(delivery_id))))
        return DeliveryRecord.from_hash(delivery_id, raw) if "story_id" in raw else None

    async def record_attempt(self, delivery_id: str, error: str | None, now: float) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hincrby(K.delivery(delivery_id), "attempts", 1)
        pipe.hset(
            K.delivery(delivery_id),
            mapping={"last_attempt": now, "last_error": (error or "")[:1000]},
        )
        await pipe.execute()

    async def mark_delivered(self, delivery_id: str, destination: str, now: float) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(K.delivery(delivery_id), mapping={"status": "delivered", "delivered_at": now})
        pipe.zrem(K.DEAD_LETTERS, delivery_id)
        pipe.zrem(K.pending(destination), delivery_id)
        await pipe.execute()

    async def dead_letter(
        self, delivery_id: str, destination: str, reason: str, now: float
    ) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.zrem(K.pending(destination), delivery_id)
        pipe.hset(
            K.delivery(delivery_id),
            mapping={"status": "dead", "last_error": reason[:1000], "dead_at": now},
        )
        pipe.expire(K.delivery(delivery_id), max(self._ttl, 30 * 86400))
        pipe.zadd(K.DEAD_LETTERS, {delivery_id: now})
        pipe.zremrangebyrank(K.DEAD_LETTERS, 0, -DEAD_LETTERS_KEPT - 1)
        await pipe.execute()

    async def dead_letters(self, since: float | None = None) -> list[DeliveryRecord]:
        ids = await self._r.zrangebyscore(
            K.DEAD_LETTERS, since if since is not None else "-inf", "+inf"
        )
        records = []
        for raw_id in ids:
            record = await self.get(_s(raw_id))
            if record is not None:
                records.append(record)
        return records

    async def count_dead(self) -> int:
        return int(await self._r.zcard(K.DEAD_LETTERS))

    async def revive(self, record: DeliveryRecord, now: float) -> bool:
        """Take a dead letter back to pending, for a replay."""
        pipe = self._r.pipeline(transaction=True)
        pipe.zrem(K.DEAD_LETTERS, record.delivery_id)
        pipe.hset(K.delivery(record.delivery_id), mapping={"status": "pending", "attempts": 0})
        pipe.hdel(K.delivery(record.delivery_id), "dead_at")
        pipe.zadd(K.pending(record.destination), {record.delivery_id: now})
        removed, _, _, _ = await pipe.execute()
        return bool(removed)


# KEYS[1]: lease key. ARGV: holder, ttl ms. Extends our own lease or takes a free one.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class Lease:
    """A Redis lease: at most one holder at a time, lost if not renewed."""

    def __init__(self, redis: Redis, key: str, holder: str) -> None:
        self._r = redis
        self._key = key
        self.holder = holder
        self._script = redis.register_script(_LEASE)

    async def acquire(self, ttl_seconds: float) -> bool:
        return bool(
            await self._script(keys=[self._key], args=[self.holder, int(ttl_seconds * 1000)])
        )

    async def release(self) -> None:
        if _s(await self._r.get(self._key) or b"") == self.holder:
            await self._r.delete(self._key)
