"""Hostile input to native ingest, ``POST /api/v1/events``: always a 4xx naming the field,
and nothing stored (but NaN and Infinity inside properties and context are null)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.http.fuzz_app import World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

EVENT: dict[str, Any] = {
    "namespace": "shop",
    "name": "checkout",
    "value": 42.5,
    "timestamp": "2024-01-02T03:04:05Z",
    "properties": {"plan": "pro", "items": [{"sku": "a1", "qty": 2}]},
    "context": {"ip": "192.0.2.1"},
    "user_id": "u1",
    "anonymous_id": "anon-1",
    "session_id": "s1",
}
STORED = (
    "namespace",
    "name",
    "properties",
    "properties.plan",
    "properties.items.0",
    "context",
    "user_id",
    "anonymous_id",
    "session_id",
)


def _single(w: World) -> Target:
    return Target(
        "single",
        "/api/v1/events",
        EVENT,
        headers={"X-Write-Key": w.write_key},
        timestamps=("timestamp",),
        stored=STORED,
        non_finite_ok=("properties.", "context."),
    )


def _batch(w: World) -> Target:
    return Target(
        "batch",
        "/api/v1/events",
        {"events": [EVENT, {**EVENT, "name": "refund"}]},
        headers={"X-Write-Key": w.write_key},
        timestamps=("events.0.timestamp", "events.1.timestamp"),
        stored=tuple(f"events.1.{path}" for path in STORED),
        non_finite_ok=tuple(
            f"events.{i}.{key}." for i in (0, 1) for key in ("properties", "context")
        ),
    )


class TestNativeIngest(HostileSuite):
    TARGETS: ClassVar[dict[str, Any]] = {"single": _single, "batch": _batch}
