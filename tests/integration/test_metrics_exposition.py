"""The /metrics exposition of a running app: names, types, bounded labels.

The pipeline runs on real feeds, a real receiver and the test Redis until every
kind of event has happened once; then its HTTP app serves /metrics and the text
is parsed with prometheus_client's own parser. Where promtool is installed
(Debian's `prometheus` package), `promtool check metrics` must pass on it too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from arq.connections import ArqRedis
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Answer, Receiver
from service.adapters.job_queue import ArqJobQueue
from service.http_app import make_app
from tests.integration.conftest import WHSEC, PipelineFactory, make_settings, poll_all

ROOT = Path(__file__).resolve().parents[2]

# name -> (type, label names). Counters are named here without `_total`, as the
# parser names their families; their samples must end in `_total`.
EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "feedwatch_build_info": ("gauge", ("version",)),
    "feedwatch_feeds": ("gauge", ("state",)),
    "feedwatch_fetches": ("counter", ("outcome", "status_class")),
    "feedwatch_fetch_duration_seconds": ("histogram", ()),
    "feedwatch_fetched_bytes": ("counter", ()),
    "feedwatch_parse_errors": ("counter", ()),
    "feedwatch_entries_new": ("counter", ()),
    "feedwatch_stories_new": ("counter", ()),
    "feedwatch_story_copies": ("counter", ()),
    "feedwatch_rule_matches": ("counter", ("rule",)),
    "feedwatch_deliveries": ("counter", ("destination_type", "outcome")),
    "feedwatch_delivery_attempts": ("counter", ("destination_type",)),
    "feedwatch_delivery_duration_seconds": ("histogram", ("destination_type",)),
    "feedwatch_dead_letters": ("gauge", ()),
    "feedwatch_delivery_deferrals": ("counter", ("reason",)),
    "feedwatch_destination_disables": ("counter", ("destination_type",)),
    "feedwatch_destinations_disabled": ("gauge", ()),
    "feedwatch_alert_latency_seconds": ("histogram", ("destination_type",)),
    "feedwatch_scheduler_lag_seconds": ("histogram", ()),
    "feedwatch_scheduler_ticks": ("counter", ()),
    "feedwatch_fetch_lag_seconds": ("histogram", ()),
    "feedwatch_fetch_deferrals": ("counter", ("reason",)),
    "feedwatch_fetch_unchanged": ("counter", ()),
    "feedwatch_feed_parse": ("counter", ("path",)),
    "feedwatch_feed_redirects_adopted": ("counter", ()),
    "feedwatch_scheduler_backpressure": ("counter", ()),
    "feedwatch_feeds_overdue": ("gauge", ()),
    "feedwatch_queue_depth": ("gauge", ("queue",)),
    "feedwatch_jobs_in_progress": ("gauge", ("queue",)),
    "feedwatch_redis_memory_used_bytes": ("gauge", ()),
    "feedwatch_redis_memory_max_bytes": ("gauge", ()),
    "feedwatch_redis_up": ("gauge", ()),
}

RULES = ("ceasefire", "nato")
BOUNDED: dict[str, set[str]] = {
    "state": {"new", "ok", "failing", "gone"},
    "outcome": {
        *("ok", "not_modified", "http_error", "timeout", "too_large", "connection_error"),
        *("parse_error", "redirect_error"),
        *("delivered", "retry", "dead_letter"),  # deliveries
    },
    "status_class": {"1xx", "2xx", "3xx", "4xx", "5xx", "none"},
    "destination_type": {"console", "slack", "webhook", "discord", "teams"},
    "queue": {"fetch", "process", "deliver"},
    "rule": set(RULES),
    "reason": {"rate_limited", "in_flight_elsewhere", "host_busy"},
    "path": {"fast", "feedparser"},
}


@pytest.fixture
async def exposition(
    feed_server: FeedServer,
    receiver: Receiver,
    pipeline_for: PipelineFactory,
    arq_redis: ArqRedis,
) -> AsyncIterator[str]:
    """/metrics after polls, a story and its copy, a parse error, a retried and a
    dead-lettered delivery."""
    feed_server.publish("wire", Item("Old", "https://wire.example/old", "Old news."))
    feed_server.feed("aggregator")
    feed_server.feed("broken").behaviour = "html"
    settings = make_settings(
        feeds=[
            {"url": feed_server.url("wire"), "name": "wire"},
            {"url": feed_server.url("aggregator"), "name": "aggregator"},
            {"url": feed_server.url("broken"), "name": "broken"},
        ],
        destinations={
            "siem": {"type": "webhook", "url": receiver.url("siem"), "secret": WHSEC},
            "ops": {"type": "slack", "url": receiver.url("slack")},
        },
        rules=[
            {"name": "ceasefire", "query": "ceasefire", "notify": ["siem", "ops"]},
            {"name": "nato", "query": "NATO", "notify": ["siem"]},
        ],
    )
    async with pipeline_for(settings) as p:
        await poll_all(p, arq_redis)
        # Per path: the two deliveries go out concurrently, in either order.
        receiver.answer_on("/siem", Answer(status=503))
        receiver.answer_on("/slack", Answer(status=400, body="no such channel"))
        feed_server.publish(
            "wire", Item(stories.ORIGINAL_TITLE, "https://wire.example/a", stories.ORIGINAL_BODY)
        )
        feed_server.publish(
            "aggregator",
            Item(stories.ORIGINAL_TITLE, "https://aggregator.example/a", stories.COPY_BODY),
        )
        await poll_all(p, arq_redis)
        await poll_all(p, arq_redis)  # unchanged feeds answer 304

        runner = web.AppRunner(make_app(p, ArqJobQueue(arq_redis)), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/metrics") as resp,
            ):
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                yield await resp.text()
        finally:
            await runner.cleanup()


def _families(text: str) -> dict[str, tuple[str, list[Sample]]]:
    return {f.name: (f.type, list(f.samples)) for f in text_string_to_metric_families(text)}


def test_every_catalogued_metric_is_exposed_with_its_type_and_labels(exposition: str) -> None:
    families = _families(exposition)
    assert set(families) == set(EXPECTED)
    for name, (kind, labels) in EXPECTED.items():
        got_kind, samples = families[name]
        assert got_kind == kind, name
        assert samples, f"{name} has no sample"
        for sample in samples:
            assert set(sample.labels) - {"le"} == set(labels), (name, sample.labels)
            if kind == "counter":
                assert sample.name == name + "_total", sample.name


def test_label_values_are_bounded_never_urls_or_ids(exposition: str) -> None:
    for name, (_, samples) in _families(exposition).items():
        for sample in samples:
            for label, value in sample.labels.items():
                if label == "le":
                    continue
                if label == "version":
                    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", value), value
                    continue
                assert value in BOUNDED[label], f"{name}{{{label}={value!r}}}"


def test_the_run_exercised_every_outcome_it_set_up(exposition: str) -> None:
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for _, samples in _families(exposition).values()
        for s in samples
    }

    def value(name: str, **labels: str) -> float:
        return values.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("feedwatch_fetches_total", outcome="ok", status_class="2xx") >= 3
    assert value("feedwatch_fetches_total", outcome="not_modified", status_class="3xx") >= 1
    assert value("feedwatch_fetches_total", outcome="parse_error", status_class="2xx") >= 1
    assert value("feedwatch_parse_errors_total") >= 1
    assert value("feedwatch_stories_new_total") == 1
    assert value("feedwatch_story_copies_total") == 1
    assert value("feedwatch_rule_matches_total", rule="ceasefire") >= 1
    assert value("feedwatch_deliveries_total", destination_type="webhook", outcome="retry") == 1
    assert value("feedwatch_deliveries_total", destination_type="webhook", outcome="delivered") == 1
    assert value("feedwatch_deliveries_total", destination_type="slack", outcome="dead_letter") == 1
    assert value("feedwatch_dead_letters") == 1
    assert value("feedwatch_feeds", state="failing") == 1
    assert value("feedwatch_redis_up") == 1
    assert value("feedwatch_redis_memory_used_bytes") > 0


def _largest_finite_bucket(samples: list[Sample]) -> float:
    bounds = [float(s.labels["le"]) for s in samples if s.name.endswith("_bucket")]
    return max(b for b in bounds if b != float("inf"))


def test_histogram_buckets_reach_what_they_measure(exposition: str) -> None:
    families = _families(exposition)
    # Webhook and fetch timeouts run to tens of seconds; alerts can take hours
    # (a receiver down for an hour); the scheduler can fall minutes behind.
    assert _largest_finite_bucket(families["feedwatch_delivery_duration_seconds"][1]) >= 30
    assert _largest_finite_bucket(families["feedwatch_fetch_duration_seconds"][1]) >= 30
    assert _largest_finite_bucket(families["feedwatch_alert_latency_seconds"][1]) >= 3600
    assert _largest_finite_bucket(families["feedwatch_scheduler_lag_seconds"][1]) >= 600


def test_the_metrics_catalog_documents_every_metric(exposition: str) -> None:
    catalog = (ROOT / "docs/metrics.md").read_text()
    for name, (kind, _) in EXPECTED.items():
        exposed = name + "_total" if kind == "counter" else name
        assert f"`{exposed}`" in catalog, exposed


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_check_metrics_passes(exposition: str) -> None:
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
    assert result.stderr.strip() == "", result.stderr
