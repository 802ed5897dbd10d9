"""One arq Worker per queue, so a backlog of fetches never delays an alert."""

from __future__ import annotations

import time
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.worker import Function, Worker, func

from service.adapters import redis_keys as K
from service.adapters.job_queue import DELIVER_JOB, FETCH_JOB, PROCESS_JOB
from service.pipeline.context import Pipeline
from workers import jobs

QUEUE_ROLES = ("fetch", "process", "deliver")
DELIVER_MAX_TRIES = 100_000


# KEYS: the queue. ARGV: now ms, in-progress timeout ms, job ids. Returns {id, score,
# ...} of the jobs this worker now holds: what arq's start_jobs decides per job with
# WATCH, EXISTS, ZSCORE and MULTI/EXEC (due, not running elsewhere), for many jobs
# at once and atomically.
_START_JOBS = f"""
local now, out = tonumber(ARGV[1]), {{}}
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= now and
     redis.call('SET', '{in_progress_key_prefix}' .. ARGV[i], '1', 'NX', 'PX', ARGV[2]) then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = score
  end
end
return out
"""


class BatchStartWorker(Worker):
    """arq's Worker, but it takes the jobs it has room for in one Redis call.

    arq 0.28 starts jobs one after another, four round trips each, and when every
    slot is busy it sleeps a whole `poll_delay` before it looks again; under a
    burst of short fetch jobs those two, not the fetching, bounded a worker
    (about 200 jobs a second with slots idle). Here the free slots are filled in
    one call, and a full worker starts its next job as soon as one ends. The rule
    is arq's own (a job runs once: its in-progress key is set if absent,
    atomically, and only when due); running, retrying and finishing jobs are
    untouched. arq is pinned (==0.28.0); this overrides its `start_jobs` only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_script = self.pool.register_script(_START_JOBS)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        pending = [job_id.decode() for job_id in job_ids]
        while pending:
            await self.sem.acquire()  # waits for a free slot, as arq's does
            if self.job_counter >= self.max_jobs:
                # Every slot busy (this was the semaphore's spare permit): arq returns
                # and sleeps a poll_delay; start the next job when one ends instead.
                await self.sem.acquire()
                self.sem.release()
            if not self.allow_pick_jobs:  # stopping meanwhile
                self.sem.release()
                return
            room = self.max_jobs - self.job_counter
            taken = 1
            while taken < min(len(pending), room) and not self.sem.locked():
                await self.sem.acquire()  # free: returns at once
                taken += 1
            batch, pending = pending[:taken], pending[taken:]
            self.job_counter += taken
            try:
                reply = await self._start_script(
                    keys=[self.queue_name],
                    args=[int(time.time() * 1000), int(self.in_progress_timeout_s * 1000), *batch],
                )
            except BaseException:
                for _ in batch:
                    self.job_counter -= 1
                    self.sem.release()
                raise
            started = {_text(reply[i]): int(float(reply[i + 1])) for i in range(0, len(reply), 2)}
            for job_id in batch:
                score = started.get(job_id)
                if score is None:  # running elsewhere, finished, or deferred meanwhile
                    self.job_counter -= 1
                    self.sem.release()
                    continue
                task = self.loop.create_task(self.run_job(job_id, score))
                task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
                self.tasks[job_id] = task


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def functions_for(queue: str, pipeline: Pipeline) -> list[Function]:
    polling = pipeline.settings.polling
    if queue == "fetch":
        timeout = polling.total_timeout + 30
        return [func(jobs.fetch_feed, name=FETCH_JOB, keep_result=0, timeout=timeout, max_tries=3)]
    if queue == "process":
        return [func(jobs.process_entry, name=PROCESS_JOB, keep_result=0, timeout=60, max_tries=12)]
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
    return BatchStartWorker(**worker_kwargs(queue, pipeline, redis, **overrides))
