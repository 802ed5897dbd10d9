"""Shared delivery state that every worker must agree on: who is sending a
delivery right now, each destination's rate, its flood window, and whether a
receiver has told us to stop (410 Gone)."""

from __future__ import annotations

from redis.asyncio import Redis

from service.adapters import redis_keys as K
from service.adapters.redis_async import resolved, text

# KEYS[1]: delivery hash. ARGV: now, lease-until.
# Claims a pending delivery (or one whose sender's lease ran out) for sending.
# Returns 1 when claimed, 0 when finished, or the lease's end while another
# attempt is in flight.
_CLAIM = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
if status == 'delivered' or status == 'dead' or status == 'folded' then return 0 end
if status == 'sending' then
  local until_ = tonumber(redis.call('HGET', KEYS[1], 'sending_until') or '0')
  if until_ > tonumber(ARGV[1]) then return tostring(until_) end
end
redis.call('HSET', KEYS[1], 'status', 'sending', 'sending_until', ARGV[2])
return 1
"""

# GCRA. KEYS[1]: the destination's theoretical arrival time. ARGV: now (ms),
# emission interval (ms), burst. Returns 0 when a send may go now (and books it),
# else how many ms to wait.
_RATE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local wait = tat - now - interval * (burst - 1)
if wait > 0 then return wait end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now) + 1000)
return 0
"""


class DeliveryGuard:
    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._claim = redis.register_script(_CLAIM)
        self._rate = redis.register_script(_RATE)

    async def claim(self, delivery_id: str, now: float, lease: float) -> float | bool:
        """True when this worker may send; False when there is nothing to send; else
        the time at which another worker's attempt will have timed out."""
        result = await self._claim(keys=[K.delivery(delivery_id)], args=[now, now + lease])
        if isinstance(result, bytes):
            return float(result)
        return bool(result)

    async def release(self, delivery_id: str) -> None:
        """Back to pending after an attempt that must be retried."""
        await resolved(
            self._r.hset(K.delivery(delivery_id), mapping={"status": "pending", "sending_until": 0})
        )

    async def wait_for_rate(
        self, destination: str, per_second: float, burst: int, now: float
    ) -> float:
        """0 when a send may go now (it is booked); else the seconds to wait."""
        if per_second <= 0:
            return 0.0
        interval_ms = 1000.0 / per_second
        wait_ms = await self._rate(
            keys=[K.destination_rate(destination)],
            args=[int(now * 1000), interval_ms, max(1, burst)],
        )
        return float(wait_ms) / 1000.0

    async def count_in_window(
        self, destination: str, window: float, now: float
    ) -> tuple[int, float]:
        """Count one alert in the destination's current flood window; returns the
        count so far and when the window ends."""
        start = int(now // window * window)
        key = K.destination_flood(destination, start)
        pipe = self._r.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(window * 2) + 1)
        count, _ = await pipe.execute()
        return int(count), start + window

    async def fold(self, destination: str, window_end: float, delivery_id: str) -> str:
        """Put a delivery in the destination's digest for this window."""
        digest = K.digest_members(destination, int(window_end))
        pipe = self._r.pipeline(transaction=True)
        pipe.rpush(digest, delivery_id)
        pipe.expire(digest, 7 * 86400)
        pipe.hset(K.delivery(delivery_id), mapping={"status": "folded", "folded_into": digest})
        await pipe.execute()
        return digest

    async def digest_members(self, destination: str, window_end: float) -> list[str]:
        raw = await resolved(self._r.lrange(K.digest_members(destination, int(window_end)), 0, -1))
        return [text(m) for m in raw]

    async def disable(self, destination: str, reason: str, now: float) -> None:
        await resolved(
            self._r.hset(K.DESTINATIONS_DISABLED, destination, f"{now:.0f} {reason[:500]}")
        )

    async def enable(self, destination: str) -> bool:
        return bool(await resolved(self._r.hdel(K.DESTINATIONS_DISABLED, destination)))

    async def disabled(self) -> dict[str, str]:
        raw = await resolved(self._r.hgetall(K.DESTINATIONS_DISABLED))
        return {text(k): text(v) for k, v in raw.items()}
