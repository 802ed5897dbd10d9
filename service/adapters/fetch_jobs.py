"""arq's job format for fetch jobs, so the scheduler can enqueue a batch at once.

The payload is exactly what `ArqRedis.enqueue_job` writes (`arq.jobs.serialize_job`),
under the same job id as `ArqJobQueue.enqueue_fetch` for a job of one feed: workers
cannot tell the two apart.

A job may name several feeds, comma-separated (feed ids are hex): arq's own work
per job (six Redis round trips) is then shared by the feeds of the job, which the
fetch stage runs concurrently. `polling.feeds_per_job` sets how many.

Process jobs are written the same way by the fetch that finds new entries, in the
same round trip as the feed's seen set (`FeedStore.record_entries`).
"""

from __future__ import annotations

from collections.abc import Sequence

from arq.constants import expires_extra_ms
from arq.jobs import serialize_job


def fetch_job_id(feed_id: str, due: float) -> str:
    return f"fetch:{feed_id}:{int(due * 1000)}"


FEED_SEPARATOR = ","


def fetch_job_payloads(
    function: str, feeds: Sequence[tuple[str, float]], now: float, per_job: int = 1
) -> list[str | int | bytes]:
    """ARGV for the batch enqueue script: expiry, then (job id, score, payload) per job
    of up to `per_job` feeds. A job's id is its first feed's `fetch_job_id`, plus
    `+N` when it carries N more: each (feed, due time) is claimed once, so ids are
    unique per due time as before."""
    enqueue_ms = int(now * 1000)
    args: list[str | int | bytes] = [expires_extra_ms]
    step = max(1, per_job)
    for start in range(0, len(feeds), step):
        group = feeds[start : start + step]
        job_id = fetch_job_id(*group[0]) + (f"+{len(group) - 1}" if len(group) > 1 else "")
        names = FEED_SEPARATOR.join(feed_id for feed_id, _ in group)
        payload = serialize_job(function, (names,), {}, None, enqueue_ms)
        args += [job_id, enqueue_ms, payload]
    return args


def process_job_payloads(
    function: str, jobs: Sequence[tuple[str, dict[str, object]]], now: float
) -> list[tuple[str, int, bytes]]:
    """(job id, score, payload) of process jobs, one entry each, exactly as
    `ArqJobQueue.enqueue_process` would enqueue them (`process:<job key>`)."""
    enqueue_ms = int(now * 1000)
    return [
        (f"process:{key}", enqueue_ms, serialize_job(function, (entry,), {}, None, enqueue_ms))
        for key, entry in jobs
    ]
