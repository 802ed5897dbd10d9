"""One arq Worker per queue, so a backlog of fetches never delays an alert."""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from arq.worker import Function, Worker, func

from service.adapters import redis_keys as K
from service.adapters.job_queue import DELIVER_JOB, FETCH_JOB, PROCESS_JOB
from service.pipeline.context import Pipeline
from workers import jobs

QUEUE_ROLES = ("fetch", "process", "deliver")
DELIVER_MAX_TRIES = 100_000


def functions_for(queue: str, pipeline: Pipeline) -> list[Function]:
    polling = pipeline.settings.polling
    if queue == "fetch":
        timeout = polling.total_timeout + 30
        return [func(jobs.fetch_feed, name=FETCH_JOB, keep_result=0, timeout=timeout, max_tries=3)]
    if queue == "process":
        return [func(jobs.process_entry, name=PROCESS_JOB, keep_result=0, timeout=60, max_tries=5)]
    settings = pipeline.settings
    slowest = max(
        [settings.delivery.timeout]
        + [d.timeout for d in settings.destinations.values() if d.timeout is not None]
    )
    timeout = slowest + 5
    # The job re-runs for every retry step and every rate-limit wait; the delivery
    # record, not arq's try count, decides when to give up, so arq must never.
    return [
        func(
            jobs.deliver_alert,
            name=DELIVER_JOB,
            keep_result=0,
            timeout=timeout,
            max_tries=DELIVER_MAX_TRIES,
        )
    ]


def worker_kwargs(
    queue: str, pipeline: Pipeline, redis: ArqRedis, **overrides: Any
) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`; a test checks each against its signature."""
    kwargs: dict[str, Any] = {
        "functions": functions_for(queue, pipeline),
        "queue_name": K.QUEUES[queue],
        "redis_pool": redis,
        "ctx": {"pipeline": pipeline},
        "handle_signals": False,
        "max_jobs": {"fetch": 50, "process": 20, "deliver": 20}[queue],
        "keep_result": 0,
        "poll_delay": 0.2,
        "job_completion_wait": 20,
        "health_check_interval": 60,
        "log_results": False,
    }
    kwargs.update(overrides)
    return kwargs


def make_worker(queue: str, pipeline: Pipeline, redis: ArqRedis, **overrides: Any) -> Worker:
    return Worker(**worker_kwargs(queue, pipeline, redis, **overrides))
