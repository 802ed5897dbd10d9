"""Stories and delivery records in Redis (feeds live in `feed_store`).

Every key comes from `redis_keys`; everything has a TTL or a bounded size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from service.adapters import redis_keys as K
from service.adapters.redis_async import resolved, text
from service.core.alerts import Copy

DEAD_LETTERS_KEPT = 10_000
DEAD_LETTER_KEEP_S = 30 * 86400  # at least: a dead letter, and the story a replay needs

# KEYS: keys to keep. ARGV: seconds. Gives each existing key at least that long
# to live, never shortening it (EXPIRE's GT option needs Redis 7; 6.2 is enough).
_KEEP_AT_LEAST = """
for _, key in ipairs(KEYS) do
  local ttl = redis.call('TTL', key)
  if ttl == -1 or (ttl >= 0 and ttl < tonumber(ARGV[1])) then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 0
"""


_a = resolved
_s = text


def _decode(raw: dict[Any, Any]) -> dict[str, str]:
    return {_s(k): _s(v) for k, v in raw.items()}


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
        self._keep_script = redis.register_script(_KEEP_AT_LEAST)

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
        # At least a window from now: longer if a dead letter needs the story.
        await self._keep_script(keys=[K.story(story_id)], args=[self._ttl], client=pipe)
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
        keys = [K.story(story_id), K.story_copies(story_id)]
        await self._keep_script(keys=keys, args=[self._ttl], client=pipe)
        added, _ = await pipe.execute()
        if added and await _a(self._r.hlen(K.story_copies(story_id))) > self.COPIES_KEPT:
            await _a(self._r.hdel(K.story_copies(story_id), field))
            return False
        return bool(added)

    async def keep(self, story_ids: Iterable[str], seconds: float) -> None:
        """Keep these stories at least `seconds` from now (for dead letters that
        name them, so that a replay can still build their alerts)."""
        keys = [key for s in story_ids for key in (K.story(s), K.story_copies(s))]
        if keys:
            await self._keep_script(keys=keys, args=[int(seconds)])

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
        pipe.expire(K.delivery(delivery_id), max(self._ttl, DEAD_LETTER_KEEP_S))
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
