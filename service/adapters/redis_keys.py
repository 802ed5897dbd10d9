"""Every Redis key feedwatch writes, in one place. All begin with `fw:`."""

from __future__ import annotations

PREFIX = "fw:"

# feeds
FEEDS_DUE = PREFIX + "feeds:due"  # zset feed_id -> due unix time
FEEDS_KNOWN = PREFIX + "feeds:known"  # set of configured feed ids


def feed(feed_id: str) -> str:
    """hash: url, etag, last_modified, state, last_error, failing_since, ..."""
    return f"{PREFIX}feed:{feed_id}"


def feed_seen(feed_id: str) -> str:
    """zset entry key -> first-seen time; trimmed to the newest SEEN_PER_FEED."""
    return f"{PREFIX}feed:{feed_id}:seen"


# story identity (service/adapters/story_index.py builds the full names)
STORY_SEQ = PREFIX + "sid:seq"  # counter behind compact story record ids
STORY_RECORD = PREFIX + "sid:"  # hashes of fingerprints per story, bucketed
BANDS = PREFIX + "lsh:"  # LSH band hashes, one per band and time slice
SENTENCES = PREFIX + "sent:"  # per-outlet sentence counts, for boilerplate


# stories

def story(story_id: str) -> str:
    """hash: title, link, first outlet, first seen, ... (TTL: story window)."""
    return f"{PREFIX}story:{story_id}"


def story_copies(story_id: str) -> str:
    """list of JSON copies (outlet, url, seen_at, credits), capped."""
    return f"{PREFIX}story:{story_id}:copies"


# deliveries
def delivery(delivery_id: str) -> str:
    """hash: story, destination, rules, terms, snippet, status, attempts, ..."""
    return f"{PREFIX}delivery:{delivery_id}"


def pending(destination: str) -> str:
    """zset delivery_id -> created: deliveries to a destination not yet finished."""
    return f"{PREFIX}dest:{destination}:pending"


DEAD_LETTERS = PREFIX + "dead"  # zset delivery_id -> time dead-lettered

DESTINATIONS_DISABLED = PREFIX + "destinations:disabled"  # hash name -> "time reason"


def destination_rate(destination: str) -> str:
    """string: the GCRA theoretical arrival time (ms) of the destination's next send."""
    return f"{PREFIX}dest:{destination}:rate"


def destination_flood(destination: str, window_start: int) -> str:
    """counter of alerts in one flood window (TTL: two windows)."""
    return f"{PREFIX}dest:{destination}:flood:{window_start}"


def digest_members(destination: str, window_end: int) -> str:
    """list of delivery ids folded into one digest message."""
    return f"{PREFIX}dest:{destination}:digest:{window_end}"


# per-host politeness (service/adapters/host_budget.py; its Lua appends the
# same suffixes to host_base)
def host_base(host: str) -> str:
    return f"{PREFIX}host:{host}"


def host_slots(host: str) -> str:
    """zset holder -> lease expiry (ms): fetches in flight to a host."""
    return f"{host_base(host)}:slots"


def host_next(host: str) -> str:
    """string: the earliest time (ms) the next fetch to a host may start."""
    return f"{host_base(host)}:next"


def host_reserved(host: str) -> str:
    """zset feed id -> start time (ms) given to that feed (its turn)."""
    return f"{host_base(host)}:reserved"


# leases
SCHEDULER_LEASE = PREFIX + "lease:scheduler"

# arq queues
QUEUE_FETCH = "feedwatch:fetch"
QUEUE_PROCESS = "feedwatch:process"
QUEUE_DELIVER = "feedwatch:deliver"
QUEUES = {"fetch": QUEUE_FETCH, "process": QUEUE_PROCESS, "deliver": QUEUE_DELIVER}
