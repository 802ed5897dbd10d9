"""redis-py at the boundary: its asyncio commands are typed `Awaitable[T] | T`
(`resolved` narrows them), and `AutoPipeline` sends many small calls as one."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from asyncio import Future
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

T = TypeVar("T")


async def resolved(value: Awaitable[T] | T) -> T:
    return await value if inspect.isawaitable(value) else value


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class _Call:
    __slots__ = ("args", "future", "script")

    def __init__(self, args: tuple[Any, ...], script: str | None, future: Future[Any]) -> None:
        self.args = args
        self.script = script
        self.future = future


class AutoPipeline:
    """Commands issued by many coroutines in one turn of the event loop reach Redis
    as one pipeline: one write and one read instead of one round trip each.

    Hundreds of fetches run at once and each makes a few small calls; sent one by
    one, the system calls and redis-py's per-command work cost more than Redis
    itself. Nothing waits to fill a batch: the pipeline leaves on the next turn of
    the loop with whatever was issued before it. Each call still gets its own
    reply or error; order holds within one coroutine (it awaits each call).
    """

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._pending: list[_Call] = []
        self._flushing: set[asyncio.Task[None]] = set()

    def script(self, source: str) -> BatchedScript:
        return BatchedScript(self, source)

    def execute(self, *args: Any) -> Future[Any]:
        """Queue one command (`"ZADD", key, ...`); its reply as redis-py parses it."""
        return self._queue(args, None)

    def _queue(self, args: tuple[Any, ...], script: str | None) -> Future[Any]:
        loop = asyncio.get_running_loop()
        future: Future[Any] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._send)
        self._pending.append(_Call(args, script, future))
        return future

    def _send(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _run(self, batch: list[_Call]) -> None:
        try:
            replies = await self._pipeline(batch)
            missing = [c for c, r in zip(batch, replies, strict=True) if _no_script(r)]
            if missing:  # a restarted or flushed Redis lost the scripts: load, run again
                for source in {c.script for c in missing if c.script is not None}:
                    await self._r.script_load(source)
                again = dict(zip(map(id, missing), await self._pipeline(missing), strict=True))
                replies = [again.get(id(c), r) for c, r in zip(batch, replies, strict=True)]
        except asyncio.CancelledError:
            for call in batch:
                call.future.cancel()
            raise
        except Exception as exc:  # the connection failed: every call fails with it
            for call in batch:
                if not call.future.done():
                    call.future.set_exception(exc)
            return
        for call, reply in zip(batch, replies, strict=True):
            if call.future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                call.future.set_exception(reply)
            else:
                call.future.set_result(reply)

    async def _pipeline(self, batch: list[_Call]) -> list[Any]:
        pipe = self._r.pipeline(transaction=False)
        for call in batch:
            pipe.execute_command(*call.args)
        return list(await pipe.execute(raise_on_error=False))


def _no_script(reply: object) -> bool:
    return isinstance(reply, NoScriptError)


class BatchedScript:
    """A Lua script run by EVALSHA through an `AutoPipeline` (loaded again if Redis
    lost it); called like redis-py's `Script`: `await script(keys=[...], args=[...])`."""

    def __init__(self, batcher: AutoPipeline, source: str) -> None:
        self._batcher = batcher
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(
        self, keys: Sequence[Any] = (), args: Sequence[Any] = ()
    ) -> Future[Any]:
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        return self._batcher._queue(command, self.source)
