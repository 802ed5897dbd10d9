"""Per-host politeness shared by every worker: at most N fetches in flight to one
host, and at least S seconds between two fetches starting there.

Each fetch takes a slot leased with a TTL (a sorted set of holder -> expiry), so
a worker that dies mid-fetch frees its slot when the lease runs out. Checks and
updates happen in one Lua script, atomically across workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from redis.asyncio import Redis

from service.adapters import redis_keys as K


def host_slots_key(host: str) -> str:
    """zset holder -> lease expiry (ms): fetches in flight to a host."""
    return f"{K.PREFIX}host:{host}:slots"


def host_next_key(host: str) -> str:
    """string: the earliest time (ms) the next fetch to a host may start."""
    return f"{K.PREFIX}host:{host}:next"


def host_reserved_key(host: str) -> str:
    """zset feed id -> start time (ms) reserved for a feed the spacing turned away."""
    return f"{K.PREFIX}host:{host}:reserved"


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name (and port when not the default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port not in (80, 443):
        return f"{host}:{port}"
    return host


# KEYS: slots zset, next-start key, reservations zset. ARGV: now ms, holder, lease
# ms, max in flight, spacing ms, feed id. Returns {1, 0} when the slot is taken,
# {0, wait ms, 1 when that wait is a reserved start time} otherwise.
#
# A feed turned away by the spacing is given the next start time as a
# reservation, and the next start moves one spacing on: each deferred feed comes
# back exactly when its turn is due instead of all of them retrying together.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[3])
local spacing = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - lease)
local reserved = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[6]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return {0, math.max(spacing, 250), 0}
end
if reserved then
  if reserved > now then
    return {0, reserved - now, 1}
  end
  redis.call('ZREM', KEYS[3], ARGV[6])
else
  local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
  if next_start > now then
    redis.call('ZADD', KEYS[3], next_start, ARGV[6])
    redis.call('PEXPIRE', KEYS[3], next_start - now + lease)
    redis.call('SET', KEYS[2], next_start + spacing, 'PX', next_start - now + spacing)
    return {0, next_start - now, 1}
  end
  if spacing > 0 then
    redis.call('SET', KEYS[2], now + spacing, 'PX', spacing)
  end
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease)
return {1, 0, 0}
"""


@dataclass(frozen=True, slots=True)
class HostGrant:
    """`granted`, or how long to wait (seconds) before trying the host again;
    `reserved` when that wait leads to a start time kept for this feed."""

    granted: bool
    wait: float = 0.0
    reserved: bool = False


class HostBudget:
    def __init__(
        self, redis: Redis, *, concurrency: int, spacing: float, lease_seconds: float
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._r = redis
        self.concurrency = concurrency
        self.spacing = spacing
        self.lease_seconds = lease_seconds
        self._acquire = redis.register_script(_ACQUIRE)

    async def acquire(
        self, host: str, holder: str, now: float, feed_id: str | None = None
    ) -> HostGrant:
        """Take a slot on `host` for `holder` (one fetch); `feed_id` names the feed
        across its deferrals, so a start time reserved for it is honoured."""
        granted, wait_ms, reserved = await self._acquire(
            keys=[host_slots_key(host), host_next_key(host), host_reserved_key(host)],
            args=[
                int(now * 1000),
                holder,
                int(self.lease_seconds * 1000),
                self.concurrency,
                int(self.spacing * 1000),
                feed_id or holder,
            ],
        )
        return HostGrant(bool(int(granted)), int(wait_ms) / 1000.0, bool(int(reserved)))

    async def release(self, host: str, holder: str) -> None:
        await self._r.zrem(host_slots_key(host), holder)

    async def in_flight(self, host: str, now: float) -> int:
        """Leases held on a host and not yet expired at `now`."""
        return int(await self._r.zcount(host_slots_key(host), int(now * 1000) + 1, "+inf"))
