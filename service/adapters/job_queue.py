"""The pipeline's queue port on arq. Job ids make every enqueue idempotent."""

from __future__ import annotations

from arq.connections import ArqRedis

from service.adapters import redis_keys as K

FETCH_JOB = "fetch_feed"
PROCESS_JOB = "process_entry"
DELIVER_JOB = "deliver_alert"


class ArqJobQueue:
    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis

    async def enqueue_fetch(self, feed_id: str, due: float) -> None:
        await self._redis.enqueue_job(
            FETCH_JOB,
            feed_id,
            _job_id=f"fetch:{feed_id}:{int(due * 1000)}",
            _queue_name=K.QUEUE_FETCH,
        )

    async def enqueue_process(self, job_key: str, entry: dict[str, object]) -> None:
        await self._redis.enqueue_job(
            PROCESS_JOB, entry, _job_id=f"process:{job_key}", _queue_name=K.QUEUE_PROCESS
        )

    async def enqueue_deliver(
        self, delivery_id: str, *, delay: float = 0.0, replay: str = ""
    ) -> None:
        suffix = f":replay:{replay}" if replay else ""
        await self._redis.enqueue_job(
            DELIVER_JOB,
            delivery_id,
            _job_id=f"deliver:{delivery_id}{suffix}",
            _queue_name=K.QUEUE_DELIVER,
            _defer_by=delay or None,
        )

    async def depths(self) -> dict[str, int]:
        pipe = self._redis.pipeline(transaction=False)
        for queue in K.QUEUES.values():
            pipe.zcard(queue)
        counts = await pipe.execute()
        return dict(zip(K.QUEUES, (int(c) for c in counts), strict=True))

    async def redis_memory_used(self) -> float:
        info = await self._redis.info("memory")
        return float(info.get("used_memory", 0))

    async def redis_memory_limit(self) -> float:
        """Redis `maxmemory` in bytes; 0 means no limit (managed Redis may hide it)."""
        info = await self._redis.info("memory")
        return float(info.get("maxmemory", 0))
