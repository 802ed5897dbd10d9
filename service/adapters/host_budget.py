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


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name (and port when not the default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port not in (80, 443):
        return f"{host}:{port}"
    return host


# KEYS: slots zset, next-start key. ARGV: now ms, holder, lease ms, max in flight,
# spacing ms. Returns {1, 0} when the slot is taken, {0, wait ms} otherwise.
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return {0, math.max(tonumber(ARGV[5]), 250)}
end
local spacing = tonumber(ARGV[5])
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then
  return {0, next_start - now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if spacing > 0 then
  redis.call('SET', KEYS[2], now + spacing, 'PX', spacing)
end
return {1, 0}
"""


@dataclass(frozen=True, slots=True)
class HostGrant:
    """`granted`, or how long to wait (seconds) before trying the host again."""

    granted: bool
    wait: float = 0.0


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

    async def acquire(self, host: str, holder: str, now: float) -> HostGrant:
        granted, wait_ms = await self._acquire(
            keys=[host_slots_key(host), host_next_key(host)],
            args=[
                int(now * 1000),
                holder,
                int(self.lease_seconds * 1000),
                self.concurrency,
                int(self.spacing * 1000),
            ],
        )
        return HostGrant(bool(int(granted)), int(wait_ms) / 1000.0)

    async def release(self, host: str, holder: str) -> None:
        await self._r.zrem(host_slots_key(host), holder)

    async def in_flight(self, host: str, now: float) -> int:
        """Leases held on a host and not yet expired at `now`."""
        return int(await self._r.zcount(host_slots_key(host), int(now * 1000) + 1, "+inf"))
