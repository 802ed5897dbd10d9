"""arq job functions: ids in, one use-case call, nothing else."""

from __future__ import annotations

from typing import Any

from arq.worker import Retry

from service.core.entries import entry_from_dict
from service.pipeline import delivering, fetching, processing
from service.pipeline.context import Pipeline


def _pipeline(ctx: dict[str, Any]) -> Pipeline:
    pipeline: Pipeline = ctx["pipeline"]
    return pipeline


async def fetch_feed(ctx: dict[str, Any], feed_id: str) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("fetch").track_inprogress():
        report = await fetching.fetch_feed(p, feed_id)
    return report.outcome


async def process_entry(ctx: dict[str, Any], entry: dict[str, object]) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("process").track_inprogress():
        report = await processing.process_entry(p, entry_from_dict(entry))
    return report.story_id


async def deliver_alert(ctx: dict[str, Any], delivery_id: str) -> str:
    p = _pipeline(ctx)
    with p.metrics.jobs_in_progress.labels("deliver").track_inprogress():
        outcome = await delivering.deliver(p, delivery_id)
    if outcome.retry_in is not None:
        if outcome.outcome != "retry":  # put off without an attempt
            p.metrics.delivery_deferrals.labels(outcome.outcome).inc()
        raise Retry(defer=outcome.retry_in)
    return outcome.outcome
