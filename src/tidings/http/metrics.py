"""Prometheus metrics, one registry per app so several apps in one process stay apart."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events_accepted = Counter(
            "tidings_events_accepted", "Events stored.", registry=self.registry
        )
        self.events_duplicate = Counter(
            "tidings_events_duplicate", "Events acknowledged as repeats.", registry=self.registry
        )
        self.ingest_rejected = Counter(
            "tidings_ingest_rejected",
            "Ingest requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.messages_dropped = Counter(
            "tidings_messages_dropped",
            "Invalid messages left out of an otherwise stored batch, by field.",
            ["field"],
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "tidings_commit_seconds",
            "Time to commit one group of events.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )
        self.commit_events = Histogram(
            "tidings_commit_events",
            "Events per commit.",
            buckets=(1, 10, 100, 1000, 10000),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "tidings_queue_depth", "Events waiting for commit.", registry=self.registry
        )

    def observe_commit(self, seconds: float, events: int) -> None:
        self.commit_seconds.observe(seconds)
        self.commit_events.observe(events)

    def track_queue(self, depth: Callable[[], float]) -> None:
        self.queue_depth.set_function(depth)

    def render(self) -> bytes:
        return generate_latest(self.registry)
