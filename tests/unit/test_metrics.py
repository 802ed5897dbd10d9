from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import Metrics


def test_every_metric_is_registered_once_with_the_feedwatch_prefix() -> None:
    metrics = Metrics()
    families = list(text_string_to_metric_families(generate_latest(metrics.registry).decode()))
    names = [f.name for f in families]
    assert len(names) == len(set(names))
    assert all(name.startswith("feedwatch_") for name in names)


def test_two_registries_do_not_collide() -> None:
    first, second = Metrics(), Metrics()
    first.entries_new.inc()
    assert second.registry.get_sample_value("feedwatch_entries_new_total") == 0
