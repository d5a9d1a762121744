"""Commits onto the bus: once, in order, and not at all when nobody can follow."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest

from tests.core.live.helpers import draft, make_hub, run
from tidings.bus import EVENTS
from tidings.bus.memory import MemoryBus
from tidings.core.live import publisher
from tidings.model.records import InsertResult


class _CountingBus(MemoryBus):
    """The in-process bus, keeping what it is asked to publish."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[tuple[str, bytes]] = []

    @property
    def published(self) -> int:
        return len(self.payloads)

    async def publish(self, topic: str, payload: bytes) -> None:
        self.payloads.append((topic, payload))
        await super().publish(topic, payload)


def test_an_in_process_hub_with_no_event_stream_publishes_nothing() -> None:
    async def scenario() -> tuple[int, int, list[int]]:
        bus = _CountingBus()
        hub = make_hub(bus=bus)
        await hub.start()
        hub.committed([draft(name="a")], [InsertResult(1, False)])
        idle = bus.published
        sub = hub.subscribe_events(0)
        hub.committed([draft(name="a")], [InsertResult(2, False)])
        following = [e.id for e in await sub.get(5) or []]
        await hub.close()
        return idle, bus.published, following

    # Skipped while nobody follows (a later stream replays from storage); sent once one does.
    # The outbox is published in order, so had the first commit been queued it would have
    # been published (and delivered) before the second.
    assert run(scenario) == (0, 1, [2])


def test_a_commit_is_published_once_as_wire_objects_with_their_timestamps() -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        bus = _CountingBus()
        hub = make_hub(bus=bus)
        sub = hub.subscribe_events(0)  # someone follows
        await hub.start()
        hub.committed([draft(name="a", timestamp=42)], [InsertResult(3, False)])
        await sub.get(5)  # delivered, so published
        await hub.close()
        return bus.payloads

    [(topic, payload)] = run(scenario)
    [wire] = orjson.loads(payload)
    assert topic == EVENTS
    assert wire["id"] == 3 and wire["name"] == "a" and wire["_ts"] == 42


def test_a_full_outbox_drops_the_publication_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(publisher, "OUTBOX_LIMIT", 1)

    async def scenario() -> int:
        hub = make_hub()
        hub.subscribe_events(0)
        # Not started: the loop is known but nothing drains the outbox.
        hub.publisher._loop = asyncio.get_running_loop()
        for event_id in (1, 2):
            hub.committed([draft()], [InsertResult(event_id, False)])
        await asyncio.sleep(0)  # run the two hand-overs queued from "the writer thread"
        return hub.publisher._outbox.qsize()

    with caplog.at_level(logging.ERROR, "tidings.live"):
        assert run(scenario) == 1
    assert "live outbox full" in caplog.text
