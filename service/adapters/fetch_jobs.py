"""arq's job format for fetch jobs, so the scheduler can enqueue a batch at once.

The payload is exactly what `ArqRedis.enqueue_job` writes (`arq.jobs.serialize_job`),
under the same job id as `ArqJobQueue.enqueue_fetch`: workers cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from arq.constants import expires_extra_ms
from arq.jobs import serialize_job


def fetch_job_id(feed_id: str, due: float) -> str:
    return f"fetch:{feed_id}:{int(due * 1000)}"


def fetch_job_payloads(
    function: str, feeds: Sequence[tuple[str, float]], now: float
) -> list[str | int | bytes]:
    """ARGV for the batch enqueue script: expiry, then (job id, score, payload) per feed."""
    enqueue_ms = int(now * 1000)
    args: list[str | int | bytes] = [expires_extra_ms]
    for feed_id, due in feeds:
        payload = serialize_job(function, (feed_id,), {}, None, enqueue_ms)
        args += [fetch_job_id(feed_id, due), enqueue_ms, payload]
    return args
