"""Reloading the config swaps the compiled rules and destinations whole."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from service.adapters.embedded_redis import EmbeddedRedis
from service.core.entries import feed_id_for
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


class _Logged(logging.Handler):
    """Sets `event` when a record holding `text` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


async def test_a_file_that_is_not_utf8_is_refused_and_the_watcher_applies_the_next_edit(
    service: Service,
) -> None:
    assert service.pipeline is not None
    assert service.config_path is not None
    before = service.pipeline.routing
    refused = _Logged("(file): not UTF-8 text")
    runtime_log = logging.getLogger("service.runtime")
    runtime_log.addHandler(refused)
    try:
        with service.config_path.open("ab") as f:
            f.write(b"# caf\xe9\n")
        await asyncio.wait_for(refused.event.wait(), 10)
    finally:
        runtime_log.removeHandler(refused)
    assert service.pipeline.routing is before
    _write(service.config_path, [{"name": "truce", "query": "truce", "notify": ["console"]}])
    await asyncio.wait_for(service.wait_for_reloads(1), 10)
    assert [r.name for r in service.pipeline.routing.rules.rules] == ["truce"]


async def test_a_reload_drops_the_match_series_of_rules_it_removed(service: Service) -> None:
    assert service.pipeline is not None
    assert service.config_path is not None
    sample = service.pipeline.metrics.registry.get_sample_value
    assert sample("feedwatch_rule_matches_total", {"rule": "nato"}) == 0
    _write(service.config_path, [{"name": "truce", "query": "truce", "notify": ["console"]}])
    assert await service.reload() is True
    assert sample("feedwatch_rule_matches_total", {"rule": "nato"}) is None
    assert sample("feedwatch_rule_matches_total", {"rule": "truce"}) == 0


async def test_a_reload_that_meets_a_redis_outage_is_done_again_once_redis_is_back(
    tmp_path: Path,
) -> None:
    own = EmbeddedRedis(tmp_path / "redis", appendonly=True)
    own.start()
    service = _service(tmp_path, own.url, watch_interval=0.05)
    await service.start()
    assert service.pipeline is not None
    assert service.config_path is not None
    retrying = _Logged("config reload could not reach redis, trying again")
    runtime_log = logging.getLogger("service.runtime")
    runtime_log.addHandler(retrying)
    try:
        await asyncio.to_thread(own.stop)
        feed = "http://127.0.0.1:9/new.xml"
        config = yaml.safe_load(service.config_path.read_text())
        config["feeds"] = [{"url": feed}]
        service.config_path.write_text(yaml.safe_dump(config))
        await asyncio.wait_for(retrying.event.wait(), 10)
        await asyncio.to_thread(own.start)
        await asyncio.wait_for(service.wait_for_reloads(1), 20)
        state = await service.pipeline.feeds.get(feed_id_for(feed))
    finally:
        runtime_log.removeHandler(retrying)
        await service.stop()
        own.stop()
    assert state is not None  # the new feed is registered, so it is polled
