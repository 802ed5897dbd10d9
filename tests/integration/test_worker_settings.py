"""arq silently drops a mistyped Worker setting: check ours against its signature."""

from __future__ import annotations

import inspect

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from service.settings import parse_settings
from service.wiring import build_pipeline
from workers.settings import QUEUE_ROLES, worker_kwargs


@pytest.mark.parametrize("queue", QUEUE_ROLES)
async def test_every_worker_setting_is_a_real_arq_worker_parameter(
    queue: str, redis_url: str
) -> None:
    pipeline, resources = build_pipeline(parse_settings("{}", {}), redis_url)
    try:
        kwargs = worker_kwargs(queue, pipeline, resources.redis)
        accepted = set(inspect.signature(Worker).parameters)
        assert set(kwargs) <= accepted, set(kwargs) - accepted
        assert isinstance(kwargs["redis_pool"], ArqRedis)
        assert [f.name for f in kwargs["functions"]] == [
            {"fetch": "fetch_feed", "process": "process_entry", "deliver": "deliver_alert"}[queue]
        ]
    finally:
        await resources.close()


async def test_deliver_jobs_may_try_every_step_of_the_retry_schedule(redis_url: str) -> None:
    settings = parse_settings("delivery: {retry_schedule: [1, 2, 3]}", {})
    pipeline, resources = build_pipeline(settings, redis_url)
    try:
        [deliver] = worker_kwargs("deliver", pipeline, resources.redis)["functions"]
        assert deliver.max_tries is not None
        assert deliver.max_tries > len(settings.delivery.retry_schedule) + 1
    finally:
        await resources.close()
