"""The group-commit writer: acknowledges after commit, bounds its queue, drains on stop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tidings.core.ingest import Batch
from tidings.core.writer import Writer
from tidings.errors import Overloaded, Unavailable
from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.storage.base import SideWrite
from tidings.storage.sqlite import SQLiteStorage


class GatedStorage(SQLiteStorage):
    """Commits only when the test opens the gate, to hold the writer mid-commit; ``entered``
    is set once a commit is waiting at the gate."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[int] = []

    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(len(drafts))
        return super().insert_batch(drafts, side_writes)


def _drafts(count: int, start: int = 0) -> list[EventDraft]:
    return [
        EventDraft(1, "w", "e", i, i, 1.0, None, None, f"w{i}", None, None, None)
        for i in range(start, start + count)
    ]


def _batch(count: int, start: int = 0) -> Batch:
    return Batch(_drafts(count, start))


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def entered(storage: GatedStorage) -> None:
    """Wait until the writer is inside a commit, held at the gate."""
    assert await asyncio.to_thread(storage.entered.wait, 10)


@pytest.fixture
def storage(tmp_path: Path) -> GatedStorage:
    engine = GatedStorage(f"sqlite:///{tmp_path / 'w.db'}")
    engine.startup()
    return engine


def test_full_queue_refuses_and_stop_drains_everything_queued(storage: GatedStorage) -> None:
    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=12, batch_max_events=100)
        writer.start()
        first = writer.submit(_batch(4))
        await entered(storage)  # the writer took the first request and waits at the gate
        queued = [writer.submit(_batch(4, 100)), writer.submit(_batch(4, 200))]
        with pytest.raises(Overloaded) as caught:
            writer.submit(_batch(3, 300))
        assert caught.value.retry_after >= 1
        assert not first.done()  # nothing is acknowledged before its commit
        stopping = asyncio.ensure_future(writer.stop())
        await until(lambda: writer.stopping)
        with pytest.raises(Unavailable):
            writer.submit(_batch(1, 400))
        storage.gate.set()
        await stopping
        results = [await first, *[await f for f in queued]]
        assert [len(r) for r in results] == [4, 4, 4]
        assert storage.count_events() == 12
        # The two requests that waited together were committed in one transaction.
        assert storage.batches == [4, 8]

    asyncio.run(scenario())
    storage.shutdown()


def test_duplicates_within_one_group_commit_are_stored_once(storage: GatedStorage) -> None:
    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=100, batch_max_events=100)
        storage.gate.set()
        writer.start()
        a, b = writer.submit(_batch(2)), writer.submit(_batch(2))
        first, second = await a, await b
        await writer.stop()
        assert [r.id for r in first] == [r.id for r in second]
        assert [r.duplicate for r in second] == [True, True]

    asyncio.run(scenario())
    assert storage.count_events() == 2
    storage.shutdown()


def test_refuse_hook_turns_new_work_away_until_it_clears(storage: GatedStorage) -> None:
    outage: list[str] = ["the bus is down"]

    async def scenario() -> None:
        writer = Writer(
            storage,
            max_queue_events=100,
            batch_max_events=100,
            refuse=lambda: outage[0] if outage else None,
        )
        storage.gate.set()
        writer.start()
        with pytest.raises(Unavailable, match="the bus is down"):
            writer.submit(_batch(2))
        assert writer.depth == 0  # refused work is not queued
        outage.clear()
        assert len(await writer.submit(_batch(2))) == 2
        await writer.stop()

    asyncio.run(scenario())
    assert storage.count_events() == 2
    storage.shutdown()


def test_a_stalled_commit_turns_new_work_away_until_it_finishes(storage: GatedStorage) -> None:
    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=100, batch_max_events=100, stall_after=0.5)
        writer.start()
        first = writer.submit(_batch(1))
        await entered(storage)
        second = writer.submit(_batch(1, 10))  # the commit is slow, not stalled yet
        await until(lambda: writer.stalled)
        with pytest.raises(Unavailable, match="stalled"):
            writer.submit(_batch(1, 20))
        storage.gate.set()
        assert len(await first) == len(await second) == 1
        assert not writer.stalled
        assert len(await writer.submit(_batch(1, 30))) == 1
        await writer.stop()

    asyncio.run(scenario())
    assert storage.count_events() == 3
    storage.shutdown()
