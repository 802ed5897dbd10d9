"""Prometheus metrics: every name feedwatch exports, on an injected registry.

Label values are bounded: outcomes, status classes, queue names, destination
types, configured rule names. Never a URL or an article id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
)

from service import __version__

# `_created` series double the series count and Prometheus 2 ignores them as
# timestamps; rate() and increase() handle counter resets without them.
disable_created_metrics()  # type: ignore[no-untyped-call]

FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.build_info = Info("feedwatch_build", "Version of the running feedwatch.", registry=r)
        self.build_info.info({"version": __version__})
        self.feeds = Gauge("feedwatch_feeds", "Configured feeds by state.", ["state"], registry=r)
        self.fetches = Counter(
            "feedwatch_fetches_total",
            "Feed fetches by outcome and HTTP status class.",
            ["outcome", "status_class"],
            registry=r,
        )
        self.fetch_duration = Histogram(
            "feedwatch_fetch_duration_seconds",
            "Time to fetch a feed, from request to last byte.",
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.fetched_bytes = Counter(
            "feedwatch_fetched_bytes_total", "Decompressed feed bytes read.", registry=r
        )
        self.parse_errors = Counter(
            "feedwatch_parse_errors_total", "Feed bodies that could not be parsed.", registry=r
        )
        self.entries_new = Counter(
            "feedwatch_entries_new_total", "Entries not seen before in their feed.", registry=r
        )
        self.stories_new = Counter(
            "feedwatch_stories_new_total", "Entries that began a new story.", registry=r
        )
        self.story_copies = Counter(
            "feedwatch_story_copies_total",
            "Entries recognised as a copy of a known story.",
            registry=r,
        )
        self.rule_matches = Counter(
            "feedwatch_rule_matches_total", "Stories matched, per rule.", ["rule"], registry=r
        )
        self.deliveries = Counter(
            "feedwatch_deliveries_total",
            "Delivery attempts' outcomes by destination type.",
            ["destination_type", "outcome"],
            registry=r,
        )
        self.delivery_attempts = Counter(
            "feedwatch_delivery_attempts_total",
            "HTTP attempts to deliver an alert, by destination type.",
            ["destination_type"],
            registry=r,
        )
        self.delivery_duration = Histogram(
            "feedwatch_delivery_duration_seconds",
            "Time of one delivery attempt.",
            ["destination_type"],
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.delivery_deferrals = Counter(
            "feedwatch_delivery_deferrals_total",
            "Deliveries put off without an attempt: rate limit, or sent elsewhere.",
            ["reason"],
            registry=r,
        )
        self.destinations_disabled = Counter(
            "feedwatch_destination_disables_total",
            "Destinations disabled because the receiver said it is gone (410, ...).",
            ["destination_type"],
            registry=r,
        )
        self.destinations_off = Gauge(
            "feedwatch_destinations_disabled",
            "Destinations disabled now, until replayed.",
            registry=r,
        )
        self.dead_letters = Gauge(
            "feedwatch_dead_letters", "Deliveries waiting in the dead letters.", registry=r
        )
        self.alert_latency = Histogram(
            "feedwatch_alert_latency_seconds",
            "From the first fetch of a story to its delivery.",
            ["destination_type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.scheduler_lag = Histogram(
            "feedwatch_scheduler_lag_seconds",
            "How late a feed was enqueued against its due time.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.fetch_lag = Histogram(
            "feedwatch_fetch_lag_seconds",
            "How late a fetch started against the feed's due time (deferrals included).",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.fetch_deferrals = Counter(
            "feedwatch_fetch_deferrals_total",
            "Fetches put off without an attempt (not an error): the host's budget was used.",
            ["reason"],
            registry=r,
        )
        self.fetch_unchanged = Counter(
            "feedwatch_fetch_unchanged_total",
            "200 answers whose body was the same as last time, so not parsed again.",
            registry=r,
        )
        self.feed_parse = Counter(
            "feedwatch_feed_parse_total",
            "Feed bodies parsed, by parser: the lxml fast path or feedparser.",
            ["path"],
            registry=r,
        )
        self.redirects_adopted = Counter(
            "feedwatch_feed_redirects_adopted_total",
            "Permanent redirects adopted as a feed's new address after confirmation.",
            registry=r,
        )
        self.scheduler_backpressure = Counter(
            "feedwatch_scheduler_backpressure_total",
            "Scheduler ticks that enqueued less than was due: the fetch queue was at its bound.",
            registry=r,
        )
        self.feeds_overdue = Gauge(
            "feedwatch_feeds_overdue",
            "Feeds due and not yet enqueued after the last scheduler tick.",
            registry=r,
        )
        self.scheduler_ticks = Counter(
            "feedwatch_scheduler_ticks_total", "Scheduler ticks run by this process.", registry=r
        )
        self.queue_depth = Gauge(
            "feedwatch_queue_depth", "Jobs waiting in each queue.", ["queue"], registry=r
        )
        self.jobs_in_progress = Gauge(
            "feedwatch_jobs_in_progress", "Jobs running in this process.", ["queue"], registry=r
        )
        self.redis_memory = Gauge(
            "feedwatch_redis_memory_used_bytes", "Memory used by Redis.", registry=r
        )
        self.redis_memory_max = Gauge(
            "feedwatch_redis_memory_max_bytes",
            "Redis maxmemory; 0 when Redis has no limit.",
            registry=r,
        )
        self.redis_up = Gauge(
            "feedwatch_redis_up", "1 when Redis answered the last check.", registry=r
        )

    def forget_rules(self, rules: Iterable[str]) -> None:
        """Drop the series of rules a reload removed or renamed: the rule label is
        bounded by the config, not by every name it ever held."""
        for rule in rules:
            with contextlib.suppress(KeyError):
                self.rule_matches.remove(rule)

    def prime(self, rules: Iterable[str], destination_types: Iterable[str]) -> None:
        """Create the labelled series known from the config at zero, so that the
        first event shows as a rate in Prometheus rather than as a new series."""
        for rule in rules:
            self.rule_matches.labels(rule)
        for kind in set(destination_types):
            self.delivery_attempts.labels(kind)
            self.destinations_disabled.labels(kind)
            for outcome in ("delivered", "retry", "dead_letter"):
                self.deliveries.labels(kind, outcome)
        for reason in ("rate_limited", "in_flight_elsewhere"):
            self.delivery_deferrals.labels(reason)
        for outcome, status_class in (
            ("ok", "2xx"),
            ("not_modified", "3xx"),
            ("timeout", "none"),
            ("connection_error", "none"),
            ("http_error", "4xx"),
            ("http_error", "5xx"),
            ("parse_error", "2xx"),
            ("too_large", "2xx"),
        ):
            self.fetches.labels(outcome, status_class)
        for queue in ("fetch", "process", "deliver"):
            self.jobs_in_progress.labels(queue)
        self.fetch_deferrals.labels("host_busy")
        for path in ("fast", "feedparser"):
            self.feed_parse.labels(path)
