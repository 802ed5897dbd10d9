"""A local webhook receiver that records what arrives and answers as scripted."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    arrived: float = 0.0

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


class Receiver:
    """POST anywhere; answers come from `script` in order, then `default`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.arrivals = 0  # every request, including ones still unanswered
        self.script: deque[Answer] = deque()
        self.path_scripts: dict[str, deque[Answer]] = {}
        self.default = Answer()
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    def url(self, path: str = "hook") -> str:
        return f"{self.base_url}/{path}"

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def answer_on(self, path: str, *answers: Answer) -> None:
        """Answers for requests to one path (e.g. `/hook`), before the shared script."""
        self.path_scripts.setdefault(path, deque()).extend(answers)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, count: int, timeout: float = 10, *, accepted: bool = True) -> None:
        def enough() -> bool:
            got = self.accepted() if accepted else self.received
            return len(got) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), timeout)

    async def wait_for_arrivals(self, count: int, timeout: float = 10) -> None:
        """Wait until `count` requests have arrived, answered or not."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.arrivals >= count), timeout)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        async with self._changed:
            self.arrivals += 1
            self._changed.notify_all()
        body = await request.read()
        queue = self.path_scripts.get(request.path) or self.script
        answer = queue.popleft() if queue else self.default
        if answer.hang:
            await asyncio.sleep(3600)
        async with self._changed:
            self.received.append(
                Received(request.path, dict(request.headers), body, answer.status, arrived)
            )
            self._changed.notify_all()
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
