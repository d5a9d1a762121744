"""Hostile input to the Segment tracking API, ``POST /v1/*``: always a 4xx in Segment's error
shape naming the field, and nothing stored (no event, no person); except that a batch stores
its valid messages and drops the spoilt one, and NaN or Infinity inside properties, traits or
context is null."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pytest

from tests.http.fuzz_app import World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

CONTEXT = {"ip": "192.0.2.1", "library": {"name": "analytics-python", "version": "2.3.0"}}
TIME = "2024-01-02T03:04:05.678Z"
TRACK: dict[str, Any] = {
    "type": "track",
    "userId": "u1",
    "event": "Order Completed",
    "properties": {"revenue": 42.5, "plan": "pro"},
    "context": CONTEXT,
    "timestamp": TIME,
}
IDENTIFY: dict[str, Any] = {
    "type": "identify",
    "userId": "u1",
    "anonymousId": "anon-1",
    "traits": {"email": "u1@example.org"},
    "timestamp": TIME,
}
PAGE: dict[str, Any] = {
    "type": "page",
    "anonymousId": "anon-1",
    "name": "Home",
    "properties": {"url": "https://example.org/"},
    "originalTimestamp": TIME,
}
GROUP: dict[str, Any] = {
    "type": "group",
    "userId": "u1",
    "groupId": "g1",
    "traits": {"name": "Example"},
    "timestamp": TIME,
}
ALIAS: dict[str, Any] = {"type": "alias", "userId": "u1", "previousId": "anon-1", "timestamp": TIME}
#: Where NaN and Infinity (Python's json writes them) are read as null.
TOLERANT = ("properties", "traits", "context")
#: Per message type: the fields whose content is stored as the event or the person.
STORED = {
    "track": ("userId", "event", "properties", "properties.plan", "context", "context.library"),
    "identify": ("userId", "anonymousId", "traits", "traits.email"),
    "page": ("anonymousId", "properties", "properties.url", "name"),
    "screen": ("anonymousId", "properties", "properties.url", "name"),
    "group": ("userId", "groupId", "traits", "traits.name"),
    "alias": ("userId", "previousId"),
}


def _single(kind: str, message: dict[str, Any]) -> Any:
    def make(w: World) -> Target:
        body = {key: value for key, value in message.items() if key != "type"}
        stamp = "originalTimestamp" if "originalTimestamp" in body else "timestamp"
        return Target(
            kind,
            f"/v1/{kind}",
            body,
            headers={"X-Write-Key": w.write_key},
            timestamps=(stamp,),
            stored=STORED[kind],
            non_finite_ok=tuple(f"{key}." for key in TOLERANT),
        )

    return make


def _batch(path: str) -> Any:
    def make(w: World) -> Target:
        # Copies: a spoilt message context must not spoil the batch's shared one too.
        messages = copy.deepcopy([TRACK, IDENTIFY, PAGE, GROUP, ALIAS])
        return Target(
            path,
            path,
            {"batch": messages, "sentAt": "2024-01-02T03:04:06Z", "context": CONTEXT},
            headers={"X-Write-Key": w.write_key},
            timestamps=("sentAt", "batch.0.timestamp", "batch.2.originalTimestamp"),
            # A bad message is dropped and the rest stored: SDKs lose a batch refused whole.
            drops="batch",
            non_finite_ok=(
                "context.",
                *(f"batch.{i}.{key}." for i in range(len(messages)) for key in TOLERANT),
            ),
            stored=(
                "context",
                *(
                    f"batch.{index}.{field}"
                    for index, message in enumerate(messages)
                    for field in STORED[message["type"]]
                ),
            ),
        )

    return make


class TestSegment(HostileSuite):
    TARGETS: ClassVar[dict[str, Any]] = {
        "batch": _batch("/v1/batch"),
        "import": _batch("/v1/import"),
        "track": _single("track", TRACK),
        "identify": _single("identify", IDENTIFY),
        "page": _single("page", PAGE),
        "screen": _single("screen", {**PAGE, "type": "screen"}),
        "group": _single("group", GROUP),
        "alias": _single("alias", ALIAS),
    }
