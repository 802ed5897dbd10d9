"""How often each outlet repeats a sentence at the top or bottom of its items.

A sentence one outlet puts on many of its items ("Follow us on Telegram", its
own footer) is boilerplate for that outlet and must not count toward identity.
Counts live in small Redis hashes bucketed by time slice, each with a TTL, so
they cover about one story window and stay bounded. Counting and reading are
one script call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from redis.asyncio import Redis

SENTENCES = "fw:sent:"  # key prefix (to move into redis_keys.py)
_FIELD_BITS = 32
_FIELDS_PER_BUCKET = 48
_EDGE_SENTENCES_PER_ITEM = 5

# KEYS[1]: prefix. ARGV: now, window, slice length, then bucket/field pairs.
# Returns for each pair the count before this item, summed over live slices.
_COUNT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local slice_len = tonumber(ARGV[3])
local cur = math.floor(now / slice_len)
local oldest = math.floor((now - window) / slice_len)
local ttl = (cur + 1) * slice_len + window - now
local out = {}
for i = 4, #ARGV, 2 do
  local b, f = ARGV[i], ARGV[i + 1]
  local total = 0
  for s = oldest, cur do
    local c = redis.call('HGET', KEYS[1] .. s .. ':' .. b, f)
    if c then total = total + tonumber(c) end
  end
  out[#out + 1] = total
  local key = KEYS[1] .. cur .. ':' .. b
  redis.call('HINCRBY', key, f, 1)
  redis.call('EXPIRE', key, ttl)
end
return out
"""


class SourceSentences:
    """Counts per (outlet, sentence) key; `repeated` says which are boilerplate."""

    def __init__(
        self,
        redis: Redis,
        window_seconds: int,
        *,
        threshold: int = 3,
        capacity: int = 100_000,
        slices_per_window: int = 2,
    ) -> None:
        self.window = int(window_seconds)
        self.threshold = threshold
        self.slice_seconds = max(1, math.ceil(self.window / slices_per_window))
        per_slice = capacity * self.slice_seconds / max(1, self.window) * _EDGE_SENTENCES_PER_ITEM
        self.buckets = max(1, math.ceil(per_slice / _FIELDS_PER_BUCKET))
        self._count = redis.register_script(_COUNT)

    def count_args(self, keys: Sequence[int], now: float) -> list[int]:
        args = [int(now), self.window, self.slice_seconds]
        for key in keys:
            args.extend(((key >> _FIELD_BITS) % self.buckets, key & ((1 << _FIELD_BITS) - 1)))
        return args

    async def repeated(self, keys: Sequence[int], now: float) -> set[int]:
        """Count one more item for each sentence key; return those seen on at least
        `threshold` earlier items of the outlet (keys come from `sentence_key`)."""
        if not keys:
            return set()
        counts = await self._count(keys=[SENTENCES], args=self.count_args(keys, now))
        return {k for k, c in zip(keys, counts, strict=True) if int(c) >= self.threshold}
