"""arq job functions: ids in, one use-case call, nothing else.

A job that meets an unreachable Redis is run again later (arq's `Retry`), not
failed: arq drops a job that raises anything else, and the work it carries (an
entry already marked seen, a delivery already claimed) would be lost. Each step
of a job is safe to repeat.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.worker import Retry

from service.adapters.redis_errors import REDIS_DOWN, reason
from service.core.entries import entry_from_dict
from service.pipeline import delivering, fetching, processing
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)
RETRY_CAP_S = 60.0


def _pipeline(ctx: dict[str, Any]) -> Pipeline:
    pipeline: Pipeline = ctx["pipeline"]
    return pipeline


def _redis_retry(ctx: dict[str, Any], job: str, exc: BaseException) -> Retry:
    """A Retry after 2, 4, 8 ... seconds (at most a minute) for a job that met an
    unreachable Redis; one log line, no traceback."""
    tries = int(ctx.get("job_try") or 1)
    defer = min(2.0**tries, RETRY_CAP_S)
    log.warning(
        "%s job met an unreachable redis, runs again in %.0f s: %s",
        job,
        defer,
        reason(exc),
        extra={"job_try": tries},
    )
    return Retry(defer=defer)


async def fetch_feed(ctx: dict[str, Any], feed_id: str) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("fetch").track_inprogress():
        try:
            report = await fetching.fetch_feed(p, feed_id)
        except REDIS_DOWN as exc:
            raise _redis_retry(ctx, "fetch", exc) from exc
    return report.outcome


async def process_entry(ctx: dict[str, Any], entry: dict[str, object]) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("process").track_inprogress():
        try:
            report = await processing.process_entry(p, entry_from_dict(entry))
        except REDIS_DOWN as exc:
            raise _redis_retry(ctx, "process", exc) from exc
    return report.story_id


async def deliver_alert(ctx: dict[str, Any], delivery_id: str) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("deliver").track_inprogress():
        try:
            outcome = await delivering.deliver(p, delivery_id)
        except REDIS_DOWN as exc:
            raise _redis_retry(ctx, "deliver", exc) from exc
    if outcome.retry_in is not None:
        if outcome.outcome != "retry":  # put off without an attempt
            p.metrics.delivery_deferrals.labels(outcome.outcome).inc()
        raise Retry(defer=outcome.retry_in)
    return outcome.outcome
