"""Story identity in Redis: one atomic claim per entry.

An entry's exact fingerprints and LSH bands are looked up, candidates confirmed
by their signatures and, when none is the same story, everything is recorded for
a new story, in one Lua script, so two copies processed at the same moment on
two workers make one story.

Layout (all under `fw:`), sized for <= 1.5 KB per story:
- `sid:seq`            counter giving each story a small number
- `sid:{n}`            string, TTL = story window: first seen, sizes, compact
                       body and lede signatures, then the story id
- `lsh:{slice}:{b}`    hash, band or exact key -> story number; `slice` is
                       floor(time / slice length), the key lives until its slice
                       ends plus one window. Buckets `b` are sized so each hash
                       stays small (listpack encoded, ~10 bytes a field).
A story is forgotten a window after it was first seen: its `sid` key expires,
and lookups also ignore records older than `now - window`, so expiry follows the
`now` the caller passes, not only the server's clock.
The script builds key names itself: it needs one Redis, not a cluster.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from service.adapters import redis_keys as K
from service.adapters.source_sentences import COUNT_LUA, SENTENCES, SourceSentences
from service.core import story_identity as si
from service.core.boilerplate import drop_sentences, edge_sentences, sentence_key, strip_boilerplate
from service.core.entries import Entry, outlet_of
from service.core.text import plain_text

# Key prefixes (to move into redis_keys.py).
STORY_SEQ = K.STORY_SEQ
STORY_RECORD = K.STORY_RECORD
BANDS = K.BANDS
KEYS = [STORY_SEQ, STORY_RECORD, BANDS, SENTENCES]

_HEADER = struct.Struct(">IHH")  # first seen (unix s), body shingles, lede shingles
_BODY_BYTES = si.BODY_PERMS * si.SIG_BITS // 8
_LEDE_BYTES = si.LEDE_PERMS * si.SIG_BITS // 8
# A band field of 3 bytes: a false hit within a bucket only adds a candidate that the
# signature then rejects. An exact field of 5 bytes: exact hits are not confirmed.
_BAND_FIELD_BYTES = 3
_EXACT_FIELD_BYTES = 5
_FIELDS_PER_BUCKET = 80  # a listpack: keep well under hash-max-listpack-entries (128)

# KEYS: story counter, record prefix, band prefix, sentence prefix.
# ARGV: see `StoryIndex.claim_args` (now, window, slice length, new story id, the
# new record, thresholds, record layout, candidate cap, lookup flag, packed exact
# keys, packed band keys, packed sentence keys).
# Reply: {story id, 1 if new else 0, count before this entry of each sentence key}.
_CLAIM = COUNT_LUA + """
local call = redis.call
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local slice_len = tonumber(ARGV[3])
local new_id = ARGV[4]
local rec = ARGV[5]
local jt = tonumber(ARGV[6])
local ct = tonumber(ARGV[7])
local cmin = tonumber(ARGV[8])
local lt = tonumber(ARGV[9])
local short_max = tonumber(ARGV[10])
local chance = tonumber(ARGV[11])
local hdr = tonumber(ARGV[12])
local body_len = tonumber(ARGV[13])
local lede_len = tonumber(ARGV[14])
local max_candidates = tonumber(ARGV[15])
local lookup = ARGV[16] == '1'
local seq_key, rec_prefix, band_prefix = KEYS[1], KEYS[2], KEYS[3]
-- the entry's edge sentences are counted for its outlet first; their counts
-- follow the claim in the reply
local counts = {}
if #ARGV[19] > 0 then counts = count_sentences(KEYS[4], now, window, slice_len, ARGV[19]) end

-- packed keys: 4-byte bucket then a binary field (5 bytes exact, 3 bytes band).
-- Buckets become strings once, so key names are built by concatenation only.
local sub, unpack_num = string.sub, struct.unpack
local function unpack_keys(packed, width, buckets, fields)
  local n = #buckets
  for pos = 1, #packed, 4 + width do
    n = n + 1
    buckets[n] = ':' .. unpack_num('>I4', packed, pos)
    fields[n] = sub(packed, pos + 4, pos + 3 + width)
  end
  return n
end
-- exact keys first, then bands: one list, `n_exact` long at its head
local buckets, fields = {}, {}
local n_exact = unpack_keys(ARGV[17], 5, buckets, fields)
local n_all = unpack_keys(ARGV[18], 3, buckets, fields)

local cur = math.floor(now / slice_len)
local oldest = math.floor((now - window) / slice_len)
local q_first, q_body, q_lede = unpack_num('>I4I2I2', rec)

local function alive(num)
  local r = call('GET', rec_prefix .. num)
  if not r then return nil end
  local t = unpack_num('>I4', r)
  if t + window <= now then return nil end
  return r
end

local byte = string.byte
local q_bsig, q_lsig
local function estimate(q, r, off, len)
  local c = {byte(r, off + 1, off + len)}
  local m = 0
  for i = 1, len do
    if q[i] == c[i] then m = m + 1 end
  end
  local j = (m / len - chance) / (1 - chance)
  if j < 0 then return 0 end
  return j
end

local function containment(j, a, b)
  local small = math.min(a, b)
  if small <= 0 then return 0 end
  return math.min(1, j * (a + b) / (small * (1 + j)))
end

-- the rule of service.core.story_identity.same_story
local function score(r)
  local _, c_body, c_lede = unpack_num('>I4I2I2', r)
  if q_body == 0 or c_body == 0 then return -1 end
  q_bsig = q_bsig or {byte(rec, hdr + 1, hdr + body_len)}
  local j = estimate(q_bsig, r, hdr, body_len)
  if j >= jt then return j end
  local contained = j >= cmin and containment(j, q_body, c_body) >= ct
  if not contained and math.min(q_body, c_body) > short_max then return -1 end
  q_lsig = q_lsig or {byte(rec, hdr + body_len + 1, hdr + body_len + lede_len)}
  local jl = estimate(q_lsig, r, hdr + body_len, lede_len)
  if containment(jl, q_lede, c_lede) >= lt then return j end
  return -1
end

-- key names of this slice's buckets, kept for the writes
local cur_names = {}
local cur_prefix = band_prefix .. cur
for i = 1, n_all do cur_names[i] = cur_prefix .. buckets[i] end

local found, found_num = nil, nil
if lookup then
  -- exact fingerprints first: the same item again needs no confirmation
  for s = cur, oldest, -1 do
    local prefix = band_prefix .. s
    for i = 1, n_exact do
      local name = s == cur and cur_names[i] or prefix .. buckets[i]
      local num = call('HGET', name, fields[i])
      if num then
        local r = alive(num)
        if r then found, found_num = r, num break end
      end
    end
    if found then break end
  end
  if not found then
    local seen, best_score, looked = {}, -1, 0
    for s = cur, oldest, -1 do
      local prefix = band_prefix .. s
      for i = n_exact + 1, n_all do
        local name = s == cur and cur_names[i] or prefix .. buckets[i]
        local num = call('HGET', name, fields[i])
        if num and not seen[num] and looked < max_candidates then
          seen[num] = true
          looked = looked + 1
          local r = alive(num)
          if r then
            local sc = score(r)
            if sc > best_score then found, found_num, best_score = r, num, sc end
            -- a story alike by Jaccard is the one: the rest of the bands and the
            -- older slices are not read (they could only add a second record of
            -- the same story); cuts and summaries still meet every candidate
            if sc >= jt then break end
          end
        end
      end
      if best_score >= jt then break end
    end
  end
end

local ttl = (cur + 1) * slice_len + window - now
-- Write fields 1..n into this slice's buckets. Every bucket gets its TTL in the
-- script that creates it, so when all of them exist already (the usual case once a
-- slice is under way) one EXISTS saves an EXPIRE per field.
local function write(n, value, command)
  if n == 0 then return end
  local names = cur_names
  if n < n_all then names = {unpack(cur_names, 1, n)} end
  local existing = call('EXISTS', unpack(names))
  for i = 1, n do call(command, names[i], fields[i], value) end
  if existing < n then
    for i = 1, n do call('EXPIRE', names[i], ttl) end
  end
end

if found then
  -- the copy's own URL, GUID and text find the story directly next time
  write(n_exact, found_num, 'HSETNX')
  return {sub(found, hdr + body_len + lede_len + 1), 0, unpack(counts)}
end

local num = call('INCR', seq_key)
call('SET', rec_prefix .. num, rec .. new_id, 'EX', window)
write(n_all, num, 'HSET')
return {new_id, 1, unpack(counts)}
"""


@dataclass(frozen=True, slots=True)
class Claim:
    story_id: str
    is_new: bool


class StoryIndex:
    """Exact and near-duplicate story identity over one story window.

    `capacity` is the number of stories expected per window; it sizes the band
    buckets (more stories still work, at more bytes per story).
    """

    def __init__(
        self,
        redis: Redis,
        window_seconds: int,
        *,
        capacity: int = 100_000,
        thresholds: si.Thresholds | None = None,
        slices_per_window: int = 2,
        repeated_sentence_threshold: int = 3,
        max_candidates: int = 64,
    ) -> None:
        self._redis = redis
        self.window = int(window_seconds)
        self.thresholds = thresholds or si.Thresholds()
        self.slice_seconds = max(1, math.ceil(self.window / slices_per_window))
        fields_per_slice = (capacity * self.slice_seconds / max(1, self.window)) * (3 + len_bands())
        self.buckets = max(1, math.ceil(fields_per_slice / _FIELDS_PER_BUCKET))
        self._max_candidates = max_candidates
        self._claim = redis.register_script(_CLAIM)
        self.sentences = SourceSentences(
            redis,
            window_seconds,
            threshold=repeated_sentence_threshold,
            capacity=capacity,
            slices_per_window=slices_per_window,
        )

    def _pack(self, keys: Sequence[int], width: int) -> bytes:
        """Each key as a 4-byte bucket and a `width`-byte field (low bits of the key)."""
        out = bytearray()
        mask = (1 << (8 * width)) - 1
        for key in keys:
            out += ((key >> 40) % self.buckets).to_bytes(4, "big")
            out += (key & mask).to_bytes(width, "big")
        return bytes(out)

    def record(self, p: si.StoryPrint, now: float) -> bytes:
        """The record stored for a new story, less its id."""
        return (
            _HEADER.pack(int(now), min(p.body_size, 0xFFFF), min(p.lede_size, 0xFFFF))
            + p.body_sig
            + p.lede_sig
        )

    def claim_args(
        self,
        p: si.StoryPrint,
        new_story_id: str,
        now: float,
        *,
        lookup: bool = True,
        sentence_keys: Sequence[int] = (),
        known_sentences: Collection[int] = (),
    ) -> list[str | bytes | int | float]:
        t = self.thresholds
        return [
            int(now), self.window, self.slice_seconds, new_story_id, self.record(p, now),
            t.jaccard, t.containment, t.containment_min_jaccard, t.lede_containment,
            t.short_shingles, 2.0**-si.SIG_BITS, _HEADER.size, _BODY_BYTES, _LEDE_BYTES,
            self._max_candidates, 1 if lookup else 0,
            self._pack(p.exact, _EXACT_FIELD_BYTES),
            self._pack(p.body_bands + p.lede_bands, _BAND_FIELD_BYTES),
            self.sentences.pack(sentence_keys, known_sentences),
        ]  # fmt: skip

    async def claim_print(
        self,
        p: si.StoryPrint,
        new_story_id: str,
        now: float,
        *,
        sentence_keys: Sequence[int] = (),
        known_sentences: Collection[int] = (),
    ) -> Claim:
        """Find the story `p` belongs to, or record it as a new one, atomically.

        `sentence_keys` (the entry's edge sentences) are counted in the same script,
        so later entries of the outlet drop the ones it repeats; those among them
        in `known_sentences` (known repeated already) are counted without reading
        their older counts.
        """
        if not p.exact and not p.body_bands:
            if sentence_keys:
                await self.sentences.count(sentence_keys, now)
            return Claim(new_story_id, True)
        args = self.claim_args(
            p, new_story_id, now, sentence_keys=sentence_keys, known_sentences=known_sentences
        )
        story, is_new, *counts = await self._claim(keys=KEYS, args=args)
        self.sentences.learn(sentence_keys, counts)
        story_id = story.decode() if isinstance(story, bytes) else str(story)
        return Claim(story_id, bool(int(is_new)))


def len_bands() -> int:
    return si.BODY_BANDS + si.LEDE_BANDS


async def claim_entry(
    index: StoryIndex, entry: Entry, new_story_id: str, *, now: float, outlet: str | None = None
) -> tuple[Claim, str | None]:
    """Normalise, fingerprint and claim the story of one new entry: one round trip.

    `outlet` is the source whose repeated sentences are counted (default: the
    link's host, else the feed id). Sentences the outlet is known to repeat are
    dropped before fingerprinting; this entry's sentences are counted with the
    claim, and what they teach applies from the outlet's next entry on.

    Returns the claim and the outlet the entry credits ("courtesy of rt.com" ->
    "rt.com", "(Reuters) -" -> "Reuters"), if it names one.
    """
    source = outlet or outlet_of(entry.link) or entry.feed_id
    stripped = strip_boilerplate(plain_text(entry.body))
    edges = sorted({sentence_key(source, s) for s in edge_sentences(stripped.text)})
    known = index.sentences.known_repeated(edges)
    text = drop_sentences(stripped.text, source, known)
    claim = await index.claim_print(
        si.story_print(entry, text), new_story_id, now, sentence_keys=edges, known_sentences=known
    )
    return claim, stripped.credits
