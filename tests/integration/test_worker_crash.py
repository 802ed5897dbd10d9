"""A worker killed in the middle of a delivery: the alert still arrives, once
more at most, with the same webhook-id."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from arq.connections import ArqRedis

from demo.receiver import Answer, Receiver
from tests.integration.conftest import WHSEC, PipelineFactory, drain, make_settings
from tests.integration.test_delivery_semantics import queue_alert


async def test_worker_killed_mid_delivery_is_delivered_after_restart_with_the_same_id(
    tmp_path: Path,
    redis_url: str,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> None:
    receiver.answer(Answer(hang=True))  # the first attempt never gets an answer
    config = tmp_path / "worker.yaml"
    config.write_text(
        "delivery: {timeout: 0.5, hold: 0, retry_schedule: [0.05, 0.05]}\n"
        f'destinations: {{hook: {{type: webhook, url: "{receiver.url("hook")}", '
        f'secret: "{WHSEC}"}}}}\n'
        "rules: [{name: nato, query: NATO, notify: [hook]}]\n"
    )
    settings = make_settings(
        delivery={"timeout": 0.5, "hold": 0, "retry_schedule": [0.05, 0.05]},
        destinations={"hook": {"type": "webhook", "url": receiver.url("hook"), "secret": WHSEC}},
        rules=[{"name": "nato", "query": "NATO", "notify": ["hook"]}],
    )
    async with pipeline_for(settings) as p:
        delivery_id = await queue_alert(p, "st_crash")
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service.cli",
            "worker",
            "--config",
            str(config),
            "--redis-url",
            redis_url,
            "--queues",
            "deliver",
            "--no-scheduler",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await receiver.wait_for_arrivals(1, timeout=30)
        worker.kill()  # mid-request: its outcome is unknown
        await worker.wait()
        assert receiver.accepted() == []

        # A new worker takes the job over once arq's in-progress mark of the
        # dead one runs out, and sends again.
        await drain(p, arq_redis, rounds=100)
        record = await p.deliveries.get(delivery_id)
    assert record is not None
    assert record.status == "delivered"
    [delivered] = receiver.accepted()
    assert delivered.headers["webhook-id"] == delivery_id
    assert receiver.arrivals == 2
