"""The `feedwatch` command as a user runs it: a real process, real signals."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
import redis

FEEDWATCH = [sys.executable, "-m", "service.cli"]


def _write_config(tmp_path: Path, feeds: str = "[]") -> Path:
    config = tmp_path / "feedwatch.yaml"
    config.write_text(
        "http: {host: 127.0.0.1, port: 0}\n"
        "polling: {tick: 0.2}\n"
        f"feeds: {feeds}\n"
        "destinations: {console: {type: console}}\n"
        "rules: [{name: nato, query: NATO, notify: [console]}]\n"
    )
    return config


def _env_without_redis() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    return env


def test_check_config_exits_non_zero_and_lists_every_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "feeds: [{url: nope}]\n"
        "destinations: {c: {type: console}}\n"
        "rules: [{name: a, query: '\"open', notify: [c, x]}]\n"
    )
    result = subprocess.run(
        [*FEEDWATCH, "check-config", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "feeds[0].url: must be an http:// or https:// URL" in result.stderr
    assert "rules[0].query: unbalanced quote at column 1" in result.stderr


def test_check_config_accepts_the_shipped_example() -> None:
    result = subprocess.run(
        [*FEEDWATCH, "check-config", "config/feedwatch.yaml"],
        capture_output=True,
        text=True,
        check=False,
        env=_env_without_redis(),
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


async def _start(config: Path, data_dir: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        *FEEDWATCH,
        "run",
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=_env_without_redis(),
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        match = re.search(r"health (http://\S+)/healthz", line.decode())
        assert match, line
    except BaseException:
        process.kill()
        await process.wait()
        raise
    return process, match.group(1)


@asynccontextmanager
async def _feedwatch(
    config: Path, data_dir: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """A `feedwatch run`, killed at the end if a failed assertion left it running."""
    process, base = await _start(config, data_dir)
    try:
        yield process, base
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _redis_pid(data_dir: Path) -> int:
    pid = int((data_dir / "redis.pid").read_text().strip())
    os.kill(pid, 0)  # it is running
    return pid


async def test_run_starts_embedded_redis_serves_health_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    config = _write_config(tmp_path, feeds='[{url: "http://127.0.0.1:9/feed.xml"}]')
    data_dir = tmp_path / "data"
    async with _feedwatch(config, data_dir) as (process, base):
        redis_pid = _redis_pid(data_dir)
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as resp:
                assert resp.status == 200
            async with http.get(base + "/readyz") as resp:
                assert resp.status == 200
            async with http.get(base + "/metrics") as resp:
                text = await resp.text()
        assert "feedwatch_fetches_total" in text
        assert 'feedwatch_feeds{state="new"}' in text or 'feedwatch_feeds{state="failing"}' in text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(redis_pid, 0)

    # State survives: the feed registered by the first run is still known.
    async with _feedwatch(config, data_dir) as (process, _):
        client = redis.Redis(unix_socket_path=str(data_dir / "redis.sock"), decode_responses=True)
        try:
            known = client.smembers("fw:feeds:known")
            assert isinstance(known, set)
            [feed_id] = known
            assert client.hget(f"fw:feed:{feed_id}", "url") == "http://127.0.0.1:9/feed.xml"
        finally:
            client.close()
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_deliveries_uses_the_redis_of_a_running_feedwatch(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    data_dir = tmp_path / "data"
    async with _feedwatch(config, data_dir) as (process, _):
        redis_pid = _redis_pid(data_dir)
        for action, expected in (("list", "0 dead letter(s)"), ("replay", "replayed 0")):
            command = [*FEEDWATCH, "deliveries", action, "-c", str(config)]
            listing = await asyncio.create_subprocess_exec(
                *command,
                "--data-dir",
                str(data_dir),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=_env_without_redis(),
            )
            out, err = await asyncio.wait_for(listing.communicate(), 30)
            assert listing.returncode == 0, err.decode()
            assert expected in out.decode()
        assert _redis_pid(data_dir) == redis_pid  # the service's own redis-server, still up
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="uses PR_SET_PDEATHSIG")
async def test_embedded_redis_dies_with_a_killed_feedwatch(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    data_dir = tmp_path / "data"
    async with _feedwatch(config, data_dir) as (process, _):
        redis_pid = _redis_pid(data_dir)
        process.kill()
        await process.wait()
    for _ in range(200):  # the kernel delivers SIGTERM to the child; wait for its exit
        try:
            os.kill(redis_pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("redis-server outlived its killed parent")
