"""Writes feedwatch.json, the on-call dashboard, from the table below.

Run `python deploy/grafana/build_dashboard.py` after editing; `deploy/ci-checks.sh`
fails when feedwatch.json differs from what this script writes. Every query is
evaluated against a real Prometheus by `make check-deploy`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DS = {"type": "prometheus", "uid": "${datasource}"}
J = 'job="feedwatch"'
RI = "$__rate_interval"

# (row title, [(panel title, unit, kind, description, [(expr, legend), ...]), ...])
Panel = tuple[str, str, str, str, list[tuple[str, str]]]
ROWS: list[tuple[str, list[Panel]]] = [
    (
        "Is it polling?",
        [
            (
                "Scheduler lag (how late feeds are enqueued)",
                "s",
                "timeseries",
                "Time between a feed falling due and its fetch being enqueued.",
                [
                    (
                        "histogram_quantile(0.5, sum by (le) "
                        f"(rate(feedwatch_scheduler_lag_seconds_bucket{{{J}}}[{RI}])))",
                        "p50",
                    ),
                    (
                        "histogram_quantile(0.9, sum by (le) "
                        f"(rate(feedwatch_scheduler_lag_seconds_bucket{{{J}}}[{RI}])))",
                        "p90",
                    ),
                ],
            ),
            (
                "Fetches by outcome",
                "reqps",
                "timeseries",
                "ok, not_modified (304), http_error, timeout, too_large, connection_error, "
                "parse_error.",
                [
                    (
                        f"sum by (outcome) (rate(feedwatch_fetches_total{{{J}}}[{RI}]))",
                        "{{outcome}}",
                    )
                ],
            ),
            (
                "Fetches by HTTP status class",
                "reqps",
                "timeseries",
                "none: no HTTP answer (timeout, connection error).",
                [
                    (
                        f"sum by (status_class) (rate(feedwatch_fetches_total{{{J}}}[{RI}]))",
                        "{{status_class}}",
                    )
                ],
            ),
            (
                "Feeds by state",
                "short",
                "stat",
                "failing: the last fetch failed (details: GET /api/feeds); gone: HTTP 410.",
                [(f"max by (state) (feedwatch_feeds{{{J}}})", "{{state}}")],
            ),
            (
                "Not-modified ratio",
                "percentunit",
                "stat",
                "Share of fetches answered 304: conditional GETs saving bandwidth.",
                [
                    (
                        f'sum(rate(feedwatch_fetches_total{{{J}, outcome="not_modified"}}[{RI}]))'
                        f" / sum(rate(feedwatch_fetches_total{{{J}}}[{RI}]))",
                        "304 share",
                    )
                ],
            ),
            (
                "Fetch duration",
                "s",
                "timeseries",
                "Request to last byte.",
                [
                    (
                        "histogram_quantile(0.9, sum by (le) "
                        f"(rate(feedwatch_fetch_duration_seconds_bucket{{{J}}}[{RI}])))",
                        "p90",
                    )
                ],
            ),
            (
                "Bytes fetched and parse errors",
                "Bps",
                "timeseries",
                "Decompressed bytes read; parse errors per second on the right.",
                [
                    (f"sum(rate(feedwatch_fetched_bytes_total{{{J}}}[{RI}]))", "bytes/s"),
                    (f"sum(rate(feedwatch_parse_errors_total{{{J}}}[{RI}]))", "parse errors/s"),
                ],
            ),
        ],
    ),
    (
        "Are stories flowing?",
        [
            (
                "New entries, new stories, copies",
                "ops",
                "timeseries",
                "Copies: entries recognised as another outlet's copy of a known story.",
                [
                    (f"sum(rate(feedwatch_entries_new_total{{{J}}}[{RI}]))", "new entries"),
                    (f"sum(rate(feedwatch_stories_new_total{{{J}}}[{RI}]))", "new stories"),
                    (f"sum(rate(feedwatch_story_copies_total{{{J}}}[{RI}]))", "copies"),
                ],
            ),
            (
                "Rule matches",
                "ops",
                "timeseries",
                "Stories matched, per configured rule.",
                [
                    (
                        f"sum by (rule) (rate(feedwatch_rule_matches_total{{{J}}}[{RI}]))",
                        "{{rule}}",
                    )
                ],
            ),
        ],
    ),
    (
        "Are alerts arriving?",
        [
            (
                "Deliveries by outcome",
                "ops",
                "timeseries",
                "delivered, retry (will be sent again), dead_letter (refused for good).",
                [
                    (
                        "sum by (destination_type, outcome) "
                        f"(rate(feedwatch_deliveries_total{{{J}}}[{RI}]))",
                        "{{destination_type}} {{outcome}}",
                    )
                ],
            ),
            (
                "Alert latency (first fetch to delivery)",
                "s",
                "timeseries",
                "From the first time a story was seen to its delivery, per destination type.",
                [
                    (
                        "histogram_quantile(0.5, sum by (le, destination_type) "
                        f"(rate(feedwatch_alert_latency_seconds_bucket{{{J}}}[{RI}])))",
                        "p50 {{destination_type}}",
                    ),
                    (
                        "histogram_quantile(0.9, sum by (le, destination_type) "
                        f"(rate(feedwatch_alert_latency_seconds_bucket{{{J}}}[{RI}])))",
                        "p90 {{destination_type}}",
                    ),
                ],
            ),
            (
                "Delivery attempts and their duration",
                "s",
                "timeseries",
                "p90 time of one HTTP attempt; attempts per second on the right.",
                [
                    (
                        "histogram_quantile(0.9, sum by (le, destination_type) "
                        f"(rate(feedwatch_delivery_duration_seconds_bucket{{{J}}}[{RI}])))",
                        "p90 {{destination_type}}",
                    ),
                    (
                        "sum by (destination_type) "
                        f"(rate(feedwatch_delivery_attempts_total{{{J}}}[{RI}]))",
                        "attempts/s {{destination_type}}",
                    ),
                ],
            ),
            (
                "Dead letters",
                "short",
                "stat",
                "Deliveries refused for good. `feedwatch deliveries list`, then replay.",
                [(f"max(feedwatch_dead_letters{{{J}}})", "dead letters")],
            ),
        ],
    ),
    (
        "Is it healthy?",
        [
            (
                "Processes up",
                "short",
                "stat",
                "Scraped feedwatch processes by role.",
                [(f"sum by (component) (up{{{J}}})", "{{component}}")],
            ),
            (
                "Queue depth",
                "short",
                "timeseries",
                "Jobs waiting (deliver also holds deferred retries).",
                [(f"max by (queue) (feedwatch_queue_depth{{{J}}})", "{{queue}}")],
            ),
            (
                "Jobs in progress",
                "short",
                "timeseries",
                "Jobs running now, all workers together.",
                [(f"sum by (queue) (feedwatch_jobs_in_progress{{{J}}})", "{{queue}}")],
            ),
            (
                "Redis memory",
                "bytes",
                "timeseries",
                "Used against maxmemory (0: no limit set).",
                [
                    (f"max(feedwatch_redis_memory_used_bytes{{{J}}})", "used"),
                    (f"max(feedwatch_redis_memory_max_bytes{{{J}}})", "maxmemory"),
                ],
            ),
            (
                "Redis reachable",
                "short",
                "stat",
                "1: every process reached Redis at its last scrape.",
                [(f"min(feedwatch_redis_up{{{J}}})", "redis up")],
            ),
            (
                "Versions running",
                "short",
                "stat",
                "Processes per feedwatch version.",
                [(f"count by (version) (feedwatch_build_info{{{J}}})", "{{version}}")],
            ),
        ],
    ),
]


def _panel(pid: int, title: str, unit: str, kind: str, desc: str, targets: list[tuple[str, str]],
           x: int, y: int) -> dict[str, Any]:
    width = 8
    panel: dict[str, Any] = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "gridPos": {"h": 8, "w": width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }
    if kind == "stat":
        panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    if len(targets) > 1 and unit in ("Bps", "s") and "/s" in targets[-1][1]:
        panel["fieldConfig"]["overrides"] = [
            {
                "matcher": {"id": "byFrameRefID", "options": chr(ord("A") + len(targets) - 1)},
                "properties": [
                    {"id": "custom.axisPlacement", "value": "right"},
                    {"id": "unit", "value": "ops"},
                ],
            }
        ]
    return panel


def build() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    pid, y = 1, 0
    for row_title, row_panels in ROWS:
        panels.append(
            {"id": pid, "type": "row", "title": row_title, "collapsed": False,
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}
        )
        pid, y = pid + 1, y + 1
        for i, (title, unit, kind, desc, targets) in enumerate(row_panels):
            x = (i % 3) * 8
            if i and i % 3 == 0:
                y += 8
            panels.append(_panel(pid, title, unit, kind, desc, targets, x, y))
            pid += 1
        y += 8
    return {
        "uid": "feedwatch",
        "title": "feedwatch",
        "description": "On call for feedwatch: polling, stories, alerts, health.",
        "tags": ["feedwatch"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "annotations": {"list": []},
        "links": [
            {
                "title": "Runbook",
                "type": "link",
                "url": "https://github.com/feedwatch/feedwatch/blob/main/docs/runbook.md",
            }
        ],
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(__file__).with_name("feedwatch.json")
    if sys.argv[1:] == ["--check"]:
        if target.read_text() != render():
            print(f"{target} is out of date: run python {Path(__file__)}", file=sys.stderr)
            raise SystemExit(1)
        raise SystemExit(0)
    target.write_text(render())
