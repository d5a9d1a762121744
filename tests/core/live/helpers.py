"""What the live tests share: a hub on the memory bus, drafts and events to feed it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tidings.bus import Bus
from tidings.bus.memory import MemoryBus
from tidings.core.live import Hub, LiveEvent
from tidings.model.events import EventDraft


class NoStorage:
    """Only ``committed`` touches storage, to name sources; tests pass known ids."""


def make_hub(buffer: int = 10, bus: Bus | None = None, keepalive: float = 15.0) -> Hub:
    hub = Hub(bus or MemoryBus(), NoStorage(), buffer=buffer, tick=0.001, keepalive=keepalive)  # type: ignore[arg-type]
    hub.publisher.sources = {1: "web"}
    return hub


def draft(namespace: str = "n", name: str = "e", **fields: Any) -> EventDraft:
    base: dict[str, Any] = {
        "source_id": 1,
        "namespace": namespace,
        "name": name,
        "timestamp": 1_000_000,
        "received_at": 1_000_000,
        "value": 1.0,
        "properties": None,
        "context": None,
        "message_id": "m",
        "user_id": None,
        "anonymous_id": None,
        "session_id": None,
    }
    base.update(fields)
    return EventDraft(**base)


def event(**data: Any) -> LiveEvent:
    base = {"id": 1, "source": "web", "namespace": "n", "name": "e", "user_id": None,
            "session_id": None, "properties": {}}  # fmt: skip
    base.update(data)
    return LiveEvent(base, data.pop("ts", 5))


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]
