"""Story identity in Redis: one atomic claim per entry.

An entry's fingerprints are looked up and, when none is known, recorded for a
new story, in one Lua script, so two copies processed at the same moment on two
workers make one story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from service.adapters import redis_keys
from service.core.boilerplate import strip_boilerplate
from service.core.entries import Entry
from service.core.fingerprints import exact_fingerprints
from service.core.text import plain_text

# KEYS: fingerprint keys. ARGV[1]: the new story id, ARGV[2]: TTL seconds.
# Returns {story_id, 1 if new else 0}. Known fingerprints of a copy are extended
# to the whole set, so a later copy matching any of them finds the story.
_CLAIM = """
local found = false
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v then found = v break end
end
local story = found or ARGV[1]
for i, key in ipairs(KEYS) do
  if found then
    redis.call('SET', key, story, 'EX', tonumber(ARGV[2]), 'NX')
  else
    redis.call('SET', key, story, 'EX', tonumber(ARGV[2]))
  end
end
if found then return {found, 0} end
return {story, 1}
"""


@dataclass(frozen=True, slots=True)
class Claim:
    story_id: str
    is_new: bool


class StoryIndex:
    def __init__(self, redis: Redis, window_seconds: int) -> None:
        self._redis = redis
        self._window = window_seconds
        self._claim = redis.register_script(_CLAIM)

    async def claim(self, fingerprints: Sequence[str], new_story_id: str) -> Claim:
        if not fingerprints:
            return Claim(new_story_id, True)
        keys = [redis_keys.fingerprint(fp) for fp in fingerprints]
        story, is_new = await self._claim(keys=keys, args=[new_story_id, self._window])
        story_id = story.decode() if isinstance(story, bytes) else str(story)
        return Claim(story_id, bool(int(is_new)))


async def claim_entry(
    index: StoryIndex, entry: Entry, new_story_id: str
) -> tuple[Claim, str | None]:
    """Fingerprint an entry and claim its story; returns the claim and the outlet
    the entry credits ("courtesy of rt.com"), if it names one."""
    stripped = strip_boilerplate(plain_text(entry.body))
    claim = await index.claim(exact_fingerprints(entry, stripped.text), new_story_id)
    return claim, stripped.credits
