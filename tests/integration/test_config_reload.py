"""Reloading the config swaps the compiled rules and destinations whole."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from service.runtime import Roles, Service, serve
from service.settings import load_settings


def _write(path: Path, rules: list[dict[str, object]]) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "http": {"host": "127.0.0.1", "port": 0},
                "destinations": {"console": {"type": "console"}},
                "rules": rules,
            }
        )
    )


def _service(tmp_path: Path, redis_url: str, *, watch_interval: float) -> Service:
    """A service with no roles running: only config handling is under test."""
    config = tmp_path / "feedwatch.yaml"
    _write(config, [{"name": "nato", "query": "NATO", "notify": ["console"]}])
    return Service(
        load_settings(config),
        redis_url,
        roles=Roles(api=False, scheduler=False, queues=()),
        config_path=config,
        config_watch_interval=watch_interval,
    )


@pytest.fixture
async def service(tmp_path: Path, redis_url: str, redis: object) -> AsyncIterator[Service]:
    svc = _service(tmp_path, redis_url, watch_interval=0.05)
    await svc.start()
    yield svc
    await svc.stop()


async def test_editing_the_config_file_swaps_in_the_new_rules(service: Service) -> None:
    assert service.pipeline is not None
    assert service.config_path is not None
    before = service.pipeline.routing
    _write(
        service.config_path,
        [
            {"name": "nato", "query": "NATO", "notify": ["console"]},
            {"name": "ceasefire", "query": "ceasefire OR truce", "notify": ["console"]},
        ],
    )
    await asyncio.wait_for(service.wait_for_reloads(1), 10)
    after = service.pipeline.routing
    assert after is not before
    assert [r.name for r in after.rules.rules] == ["nato", "ceasefire"]
    assert [r.name for r in before.rules.rules] == ["nato"]  # the old set is untouched


async def test_a_broken_config_is_refused_and_the_running_one_kept(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    assert service.pipeline is not None
    assert service.config_path is not None
    before = service.pipeline.routing
    _write(service.config_path, [{"name": "bad", "query": '"open', "notify": ["console"]}])
    assert await service.reload() is False
    assert service.pipeline.routing is before
    assert "rules[0].query: unbalanced quote" in caplog.text


async def test_sighup_reloads_the_config(tmp_path: Path, redis_url: str, redis: object) -> None:
    svc = _service(tmp_path, redis_url, watch_interval=0)
    config = tmp_path / "feedwatch.yaml"
    running = asyncio.create_task(serve(svc))
    await asyncio.wait_for(svc.started.wait(), 10)  # serve() installs handlers before start()
    assert svc.pipeline is not None
    _write(config, [{"name": "truce", "query": "truce", "notify": ["console"]}])
    os.kill(os.getpid(), signal.SIGHUP)
    await asyncio.wait_for(svc.wait_for_reloads(1), 10)
    assert [r.name for r in svc.pipeline.routing.rules.rules] == ["truce"]
    svc.request_stop()
    await asyncio.wait_for(running, 30)


async def test_reload_frees_the_replaced_rules_though_loaded_ones_are_frozen(
    service: Service,
) -> None:
    assert service.pipeline is not None
    assert service.config_path is not None
    try:
        assert gc.get_freeze_count() > 0  # start froze the loaded config
        old = weakref.ref(service.pipeline.routing.rules)
        _write(service.config_path, [{"name": "truce", "query": "truce", "notify": ["console"]}])
        assert await service.reload() is True
        assert old() is None
    finally:
        gc.unfreeze()
