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

host_slots_key = K.host_slots
host_next_key = K.host_next
host_reserved_key = K.host_reserved


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name (and port when not the default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port not in (80, 443):
        return f"{host}:{port}"
    return host


# Lua shared by the budget's own script and by the scheduler's claim and the fetch's
# first read in `feed_store` (one round trip each). Times are in ms; `base` is
# `fw:host:<host>`.
#
# host_turn: the start time a feed may use under the spacing. A feed with a
# reservation gets it back. Otherwise it gets the host's next start (or now) and
# the next start moves one spacing on; when that time is later than now, or
# `keep` is set, it is kept as the feed's reservation. So the feeds of a busy
# host are given turns one spacing apart, each exactly once, instead of all
# retrying together and being turned away again.
#
# acquire: a slot for one fetch, if the host has one free and it is the feed's
# turn. Returns {1, 0, 0} when granted, {0, wait ms, 1 when the wait ends at a
# reserved turn} otherwise.
HOST_LUA = """
local function host_turn(base, now, lease, spacing, feed, keep)
  local resv = base .. ':reserved'
  redis.call('ZREMRANGEBYSCORE', resv, '-inf', now - lease)
  local reserved = tonumber(redis.call('ZSCORE', resv, feed))
  if reserved then return reserved end
  if spacing <= 0 then return now end
  local nxt = base .. ':next'
  local at = math.max(now, tonumber(redis.call('GET', nxt) or '0'))
  redis.call('SET', nxt, at + spacing, 'PX', at - now + spacing)
  if keep or at > now then
    redis.call('ZADD', resv, at, feed)
    redis.call('PEXPIRE', resv, at - now + lease)
  end
  return at
end

local function acquire(base, now, holder, lease, max_in_flight, spacing, feed)
  local slots = base .. ':slots'
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if redis.call('ZCARD', slots) >= max_in_flight then
    return {0, math.max(spacing, 250), 0}
  end
  local at = host_turn(base, now, lease, spacing, feed, false)
  if at > now then return {0, at - now, 1} end
  redis.call('ZREM', base .. ':reserved', feed)
  redis.call('ZADD', slots, now + lease, holder)
  redis.call('PEXPIRE', slots, lease)
  return {1, 0, 0}
end
"""

# ARGV: base, now ms, holder, lease ms, max in flight, spacing ms, feed id.
_ACQUIRE = HOST_LUA + """
return acquire(ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]),
               tonumber(ARGV[6]), ARGV[7])
"""


host_base = K.host_base


@dataclass(frozen=True, slots=True)
class HostGrant:
    """`granted`, or how long to wait (seconds) before trying the host again;
    `reserved` when that wait leads to a start time kept for this feed."""

    granted: bool
    wait: float = 0.0
    reserved: bool = False

    @classmethod
    def from_reply(cls, reply: list[int]) -> HostGrant:
        granted, wait_ms, reserved = (int(x) for x in reply[:3])
        return cls(bool(granted), wait_ms / 1000.0, bool(reserved))


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
        reply = await self._acquire(
            keys=[host_slots_key(host), host_next_key(host), host_reserved_key(host)],
            args=[host_base(host), *self.lua_args(now, holder), feed_id or holder],
        )
        return HostGrant.from_reply(reply)

    def lua_args(self, now: float, holder: str) -> list[str | int]:
        """now ms, holder, lease ms, max in flight, spacing ms: as `acquire` takes them."""
        return [
            int(now * 1000),
            holder,
            int(self.lease_seconds * 1000),
            self.concurrency,
            int(self.spacing * 1000),
        ]

    async def release(self, host: str, holder: str) -> None:
        await self._r.zrem(host_slots_key(host), holder)

    async def in_flight(self, host: str, now: float) -> int:
        """Leases held on a host and not yet expired at `now`."""
        return int(await self._r.zcount(host_slots_key(host), int(now * 1000) + 1, "+inf"))
