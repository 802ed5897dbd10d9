"""Logs as an operator reads them: one JSON event per line with the ids that
matter, plain text on a terminal, the configured level, and never a secret.

A full `feedwatch run` (a real process) polls local feeds, recognises a copy,
retries, delivers and dead-letters alerts; its whole stderr and stdout are read.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import yaml

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Answer, Receiver

FEEDWATCH = [sys.executable, "-m", "service.cli"]

SLACK_TOKEN = "XoxbSecretSlackPathToken4242"
SIEM_TOKEN = "siem-query-token-8f3a9c"
SIEM_SECRET_B64 = "c2lnbmluZy1zZWNyZXQtbmV2ZXItbG9nZ2Vk"
SIEM_SECRET = "whsec_" + SIEM_SECRET_B64


def _config(tmp_path: Path, feeds: FeedServer) -> Path:
    config = {
        "http": {"host": "127.0.0.1", "port": 0},
        "polling": {"interval": 1, "tick": 0.1, "connect_timeout": 1, "total_timeout": 2},
        "delivery": {"timeout": 2, "hold": 0.2, "retry_schedule": [0.2, 0.2, 0.2]},
        "feeds": [
            {"url": feeds.url("wire"), "name": "wire"},
            {"url": feeds.url("aggregator"), "name": "aggregator"},
            {"url": feeds.url("broken"), "name": "broken"},
        ],
        "destinations": {
            "console": {"type": "console"},
            "ops-slack": {"type": "slack", "url": "${SLACK_WEBHOOK_URL}"},
            "siem": {"type": "webhook", "url": "${SIEM_URL}", "secret": "${SIEM_SECRET}"},
        },
        "rules": [
            {"name": "ceasefire", "query": "ceasefire", "notify": ["console", "ops-slack", "siem"]},
            {"name": "nato", "query": "NATO", "notify": ["siem"]},
        ],
    }
    path = tmp_path / "feedwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _env(receiver: Receiver) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["SLACK_WEBHOOK_URL"] = receiver.url(f"services/T0/B0/{SLACK_TOKEN}")
    env["SIEM_URL"] = receiver.url(f"siem?token={SIEM_TOKEN}")
    env["SIEM_SECRET"] = SIEM_SECRET
    return env


async def _full_run(
    tmp_path: Path, redis_url: str, feeds: FeedServer, receiver: Receiver
) -> tuple[str, str]:
    """One `feedwatch run` through polls, a copy, a retry, deliveries and a dead
    letter; returns its (stdout, stderr)."""
    feeds.publish("wire", Item("Old", "https://wire.example/old", "Old news."))
    feeds.feed("aggregator")
    feeds.feed("broken").behaviour = "html"
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *FEEDWATCH, "run", "--config", str(_config(tmp_path, feeds)),
            "--redis-url", redis_url, "--log-level", "info",
            stdout=stdout, stderr=stderr, env=_env(receiver),
        )  # fmt: skip
    try:
        for name in ("wire", "aggregator", "broken"):
            await feeds.wait_for_requests(name, 1, timeout=20)
        receiver.answer(Answer(status=500, body="try later"))
        feeds.publish(
            "wire", Item(stories.ORIGINAL_TITLE, "https://wire.example/a", stories.ORIGINAL_BODY)
        )
        feeds.publish(
            "aggregator",
            Item(stories.ORIGINAL_TITLE, "https://aggregator.example/a", stories.COPY_BODY),
        )
        await receiver.wait_for(2, timeout=30)  # slack and siem, one after a retry
        receiver.default = Answer(status=403, body="forbidden")
        feeds.publish(
            "wire", Item(stories.NATO_TITLE, "https://wire.example/nato", stories.NATO_BODY)
        )
        await receiver.wait_for(3, timeout=30, accepted=False)  # the NATO alert: refused
        await receiver.wait_for(4, timeout=30, accepted=False)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    return out.read_text(), err.read_text()


def _events(stderr: str) -> list[dict[str, Any]]:
    events = []
    for line in stderr.splitlines():
        if line.strip():
            event = json.loads(line)  # every line is one JSON object
            assert isinstance(event, dict), line
            events.append(event)
    return events


@pytest.fixture
async def full_run(
    tmp_path: Path, redis: aioredis.Redis, redis_url: str, feed_server: FeedServer,
    receiver: Receiver,
) -> tuple[str, str]:  # fmt: skip
    return await _full_run(tmp_path, redis_url, feed_server, receiver)


def test_logs_are_one_json_event_per_line_with_feed_story_and_destination_ids(
    full_run: tuple[str, str],
) -> None:
    events = _events(full_run[1])
    assert events
    for event in events:
        assert {"ts", "level", "logger", "msg"} <= set(event), event
    by_msg: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_msg.setdefault(event["msg"], []).append(event)
    [new_story, *_] = by_msg["new story"]
    assert new_story["story"]
    assert new_story["feed"]
    [copy] = by_msg["copy of a known story"]
    assert copy["story"] == new_story["story"]
    assert copy["feed"] != new_story["feed"]
    delivered = by_msg["alert delivered"]
    assert {e["destination"] for e in delivered} >= {"ops-slack", "siem"}
    assert all(e["story"] and e["delivery"] for e in delivered)
    retried = [e for e in events if e["msg"].startswith("alert delivery failed, retrying")]
    assert retried
    assert retried[0]["level"] == "warning"
    assert retried[0]["destination"] in ("ops-slack", "siem")
    dead = [e for e in events if e["msg"].startswith("alert dead-lettered")]
    assert [e["destination"] for e in dead] == ["siem"]
    assert dead[0]["level"] == "error"
    broken = [e for e in events if e["msg"].startswith("feed fetch failed")]
    assert broken
    assert all(e["feed"] for e in broken)


def test_secrets_from_the_environment_never_appear_in_a_full_runs_output(
    full_run: tuple[str, str],
) -> None:
    stdout, stderr = full_run
    assert "alert delivered" in stderr  # the run did reach the receivers
    for secret in (SLACK_TOKEN, SIEM_TOKEN, SIEM_SECRET, SIEM_SECRET_B64):
        assert secret not in stderr
        assert secret not in stdout


async def test_log_level_from_the_command_line_drops_lower_events(
    tmp_path: Path, redis: aioredis.Redis, redis_url: str, feed_server: FeedServer,
    receiver: Receiver,
) -> None:  # fmt: skip
    feed_server.feed("wire")
    feed_server.feed("aggregator")
    feed_server.feed("broken").behaviour = "html"
    err = tmp_path / "stderr.log"
    with err.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *FEEDWATCH, "run", "--config", str(_config(tmp_path, feed_server)),
            "--redis-url", redis_url, "--log-level", "warning",
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr, env=_env(receiver),
        )  # fmt: skip
    try:
        await feed_server.wait_for_requests("broken", 2, timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    events = _events(err.read_text())
    assert any(e["msg"].startswith("feed fetch failed") for e in events)  # a warning
    assert {e["level"] for e in events} <= {"warning", "error"}


def test_logs_on_a_terminal_are_plain_text_lines() -> None:
    code = (
        "import logging\n"
        "from service.log_setup import setup_logging\n"
        "setup_logging('info')\n"
        "logging.getLogger('feedwatch').info('new story', extra={'story': 's1', 'feed': 'f1'})\n"
    )
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-c", code], stderr=follower, stdout=subprocess.DEVNULL,
            timeout=30, check=True,
        )  # fmt: skip
        assert result.returncode == 0
        text = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert "new story" in text
    assert "story=s1" in text
    assert "feed=f1" in text
    assert not text.lstrip().startswith("{")
