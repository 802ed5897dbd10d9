from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import redis

from service.adapters.embedded_redis import EmbeddedRedis, EmbeddedRedisError


def test_embedded_redis_keeps_state_across_restart_with_aof(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        client.set("survives", "yes")
        client.close()
    assert (tmp_path / "appendonlydir").exists() or (tmp_path / "appendonly.aof").exists()
    with EmbeddedRedis(tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        assert client.get("survives") == b"yes"
        client.close()


def test_embedded_redis_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, appendonly=False)
    server.start()
    process = server._process
    assert process is not None
    pid = process.pid
    server.stop()
    assert process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not server._answers_ping()


def test_second_server_on_same_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path, appendonly=False), pytest.raises(EmbeddedRedisError):
        EmbeddedRedis(tmp_path, appendonly=False).start()


def test_embedded_redis_stops_on_sigterm_of_itself(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, appendonly=False)
    server.start()
    assert server._process is not None
    server._process.send_signal(signal.SIGTERM)
    assert server._process.wait(10) == 0
    server.stop()
