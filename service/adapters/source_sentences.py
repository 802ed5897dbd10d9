"""How often each outlet repeats a sentence at the top or bottom of its items.

A sentence one outlet puts on many of its items ("Follow us on Telegram", its
own footer) is boilerplate for that outlet and must not count toward identity.
Counts live in small Redis hashes bucketed by time slice, each with a TTL, so
they cover about one story window and stay bounded. Counting and reading are
one script call, or part of the claim script; what the counts say is kept in a
bounded per-process set, so dropping a sentence costs no extra round trip. The
process that counted drops from the same entry a separate lookup would; another
worker process drops from its next entry of that outlet after learning it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Collection, Sequence

from redis.asyncio import Redis

from service.adapters import redis_keys as K

SENTENCES = K.SENTENCES
_FIELD_BITS = 32
_FIELDS_PER_BUCKET = 48
_EDGE_SENTENCES_PER_ITEM = 5
_KNOWN_FLAG = 1 << 31  # buckets stay far below it

# A Lua function shared with the claim script in story_index.py. `packed`: per key a
# 4-byte bucket and a 4-byte field. Returns each key's count before this item,
# summed over the slices the window covers, and counts this item. A bucket with its
# top bit set marks a key the caller already knows is repeated: it is counted, but
# its older slices are not read (its count is then this slice's alone).
COUNT_LUA = """
local function count_sentences(prefix, now, window, slice_len, packed)
  local cur = math.floor(now / slice_len)
  local oldest = math.floor((now - window) / slice_len)
  local ttl = (cur + 1) * slice_len + window - now
  local out, names, fields, known = {}, {}, {}, {}
  for pos = 1, #packed, 8 do
    local b = struct.unpack('>I4', packed, pos)
    local n = #names + 1
    known[n] = b >= 2147483648
    if known[n] then b = b - 2147483648 end
    names[n] = b
    fields[n] = string.sub(packed, pos + 4, pos + 7)
  end
  if #names == 0 then return out end
  local keys = {}
  for i, b in ipairs(names) do keys[i] = prefix .. cur .. ':' .. b end
  -- a key gets its TTL in the call that creates it (see the claim script)
  local existing = redis.call('EXISTS', unpack(keys))
  for i, b in ipairs(names) do
    local f = fields[i]
    local total = redis.call('HINCRBY', keys[i], f, 1) - 1
    if not known[i] then
      for s = oldest, cur - 1 do
        local c = redis.call('HGET', prefix .. s .. ':' .. b, f)
        if c then total = total + tonumber(c) end
      end
    end
    out[#out + 1] = total
  end
  if existing < #keys then
    for _, key in ipairs(keys) do redis.call('EXPIRE', key, ttl) end
  end
  return out
end
"""
# KEYS[1]: prefix. ARGV: now, window, slice length, packed keys.
_COUNT = COUNT_LUA + """
return count_sentences(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4])
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
        cache_size: int = 65_536,
    ) -> None:
        self.window = int(window_seconds)
        self.threshold = threshold
        self.slice_seconds = max(1, math.ceil(self.window / slices_per_window))
        per_slice = capacity * self.slice_seconds / max(1, self.window) * _EDGE_SENTENCES_PER_ITEM
        self.buckets = max(1, math.ceil(per_slice / _FIELDS_PER_BUCKET))
        self._count = redis.register_script(_COUNT)
        # What the counts have taught this process: keys are per outlet already.
        self._known: OrderedDict[int, None] = OrderedDict()
        self._cache_size = cache_size

    def pack(self, keys: Sequence[int], known: Collection[int] = ()) -> bytes:
        """Each key as a 4-byte bucket and a 4-byte field, for `COUNT_LUA`; the
        bucket's top bit marks the keys in `known` (already known to be repeated)."""
        out = bytearray()
        for key in keys:
            flag = _KNOWN_FLAG if key in known else 0
            out += (flag | (key >> _FIELD_BITS) % self.buckets).to_bytes(4, "big")
            out += (key & ((1 << _FIELD_BITS) - 1)).to_bytes(4, "big")
        return bytes(out)

    def count_args(self, keys: Sequence[int], now: float) -> list[int | bytes]:
        return [int(now), self.window, self.slice_seconds, self.pack(keys)]

    async def repeated(self, keys: Sequence[int], now: float) -> set[int]:
        """Count one more item for each sentence key; return those seen on at least
        `threshold` earlier items of the outlet (keys come from `sentence_key`)."""
        counts = await self.count(keys, now)
        return {k for k, c in zip(keys, counts, strict=True) if int(c) >= self.threshold}

    async def count(self, keys: Sequence[int], now: float) -> list[int]:
        """Count one more item for each key; return the counts before it."""
        if not keys:
            return []
        counts = await self._count(keys=[SENTENCES], args=self.count_args(keys, now))
        self.learn(keys, counts)
        return [int(c) for c in counts]

    def learn(self, keys: Sequence[int], counts: Sequence[int | bytes]) -> None:
        """Remember the keys that are repeated from now on (count before + this item).

        A key known already stays known (its count may be this slice's alone).
        """
        for key, before in zip(keys, counts, strict=True):
            if key in self._known or int(before) + 1 >= self.threshold:
                self._known[key] = None
                self._known.move_to_end(key)
        while len(self._known) > self._cache_size:
            self._known.popitem(last=False)

    def known_repeated(self, keys: Sequence[int]) -> set[int]:
        """The keys this process has learned are repeated (no round trip)."""
        return {k for k in keys if k in self._known}
