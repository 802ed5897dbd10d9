"""Starting while Redis is unreachable (it is still starting, or a pod came up
first): the process serves /healthz at once, answers /readyz 503 with the reason,
waits for Redis with one log line per attempt, becomes ready once a redis-server
answers at that address, and a SIGTERM while it waits ends it cleanly.

Real processes (`python -m service.cli ...`), a real redis-server started later on
the unix socket the process was told to use.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from service.adapters.embedded_redis import EmbeddedRedis

DEADLINE_S = 30.0
PASSWORD = "hunter2-never-logged"


class Process:
    """A feedwatch process whose JSON log lines are read as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        assert proc.stderr is not None
        self._reader = asyncio.create_task(self._read(proc.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            async with self._changed:
                self.lines.append(raw.decode())
                self._changed.notify_all()

    def messages(self) -> list[str]:
        out = []
        for line in self.lines:
            try:
                out.append(str(json.loads(line).get("msg", "")))
            except json.JSONDecodeError:
                out.append(line)
        return out

    async def wait_for_message(self, start: str, count: int = 1) -> str:
        def found() -> bool:
            return sum(m.startswith(start) for m in self.messages()) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(found), DEADLINE_S)
        return [m for m in self.messages() if m.startswith(start)][count - 1]

    async def base_url(self) -> str:
        line = await self.wait_for_message("http listening")
        return line.split("health ", 1)[1].split("/healthz", 1)[0]

    async def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), DEADLINE_S)
        await self._reader
        return code

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._reader


def _config(tmp_path: Path) -> Path:
    config: dict[str, Any] = {
        "http": {"host": "127.0.0.1", "port": 0},
        "polling": {"tick": 0.1},
        "destinations": {"console": {"type": "console"}},
        "rules": [{"name": "ceasefire", "query": "ceasefire", "notify": ["console"]}],
    }
    path = tmp_path / "feedwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


COMMANDS = {
    "worker": ["worker", "--metrics-port", "0"],
    "api": ["api"],
    "run": ["run"],
}


@pytest.fixture
async def started() -> AsyncIterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        await process.kill()


async def _start(started: list[Process], command: str, config: Path, redis_url: str) -> Process:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", *COMMANDS[command], "--config", str(config),
        "--redis-url", redis_url, "--log-level", "info",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    process = Process(proc)
    started.append(process)
    return process


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def _until_ready(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            status, body = await _get(session, f"{base}/readyz")
            if status == 200:
                return body
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), DEADLINE_S)


@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_started_without_redis_it_is_alive_not_ready_then_ready_once_redis_answers(
    tmp_path: Path, started: list[Process], command: str
) -> None:
    data_dir = tmp_path / "redis"
    url = f"unix://{data_dir / 'redis.sock'}"
    process = await _start(started, command, _config(tmp_path), url)
    base = await process.base_url()
    await process.wait_for_message("waiting for redis at")

    async with aiohttp.ClientSession() as session:
        assert await _get(session, f"{base}/healthz") == (200, {"status": "ok"})
        status, body = await _get(session, f"{base}/readyz")
        assert status == 503
        assert body["status"] == "starting"
        assert f"waiting for redis at {url}" in body["reason"]

        with EmbeddedRedis(data_dir, appendonly=False):
            ready = await _until_ready(session, base)
            assert ready["status"] == "ready"
            assert await _get(session, f"{base}/healthz") == (200, {"status": "ok"})
            assert await process.stop() == 0

    text = "".join(process.lines)
    assert "Traceback" not in text
    assert any(m.startswith(f"redis at {url} answers after") for m in process.messages())


async def test_each_attempt_is_one_line_naming_the_url_without_its_password(
    tmp_path: Path, started: list[Process]
) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:1/0"  # nothing listens on port 1
    process = await _start(started, "worker", _config(tmp_path), url)
    await process.wait_for_message("waiting for redis at", count=3)
    assert await process.stop() == 0

    text = "".join(process.lines)
    assert PASSWORD not in text
    assert "Traceback" not in text
    waiting = [m for m in process.messages() if m.startswith("waiting for redis at")]
    assert all(m.startswith("waiting for redis at redis://:***@127.0.0.1:1/0") for m in waiting)
    assert [m.split("(attempt ", 1)[1].split(",", 1)[0] for m in waiting] == [
        str(n) for n in range(1, len(waiting) + 1)
    ]


@pytest.mark.parametrize("command", ["worker", "api"])
async def test_sigterm_while_waiting_for_redis_exits_cleanly(
    tmp_path: Path, started: list[Process], command: str
) -> None:
    url = f"unix://{tmp_path / 'nothing-here.sock'}"
    process = await _start(started, command, _config(tmp_path), url)
    await process.wait_for_message("waiting for redis at")
    assert await process.stop() == 0
    messages = process.messages()
    assert any(m.startswith("stop requested while waiting for redis") for m in messages)
    assert "Traceback" not in "".join(process.lines)
