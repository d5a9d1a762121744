"""The ingest funnel: a batch's side writes commit with its events, a bad batch fails alone,
and the after-commit effects run once per commit, after it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from tests.core.test_writer import GatedStorage, _drafts, entered, until
from tidings.core.ingest import AfterCommit, Batch, commit, ingest
from tidings.core.writer import Writer
from tidings.errors import Unavailable
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter, InsertResult
from tidings.storage import persons
from tidings.storage.base import SideWrite
from tidings.storage.schema import persons as persons_table
from tidings.storage.sqlite import SQLiteStorage


class Identify:
    """A side write that records a person, as Segment's identify does."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def apply(self, conn: Connection) -> None:
        persons.identify_in(conn, self.user_id, None, {"plan": "pro"})


class Broken:
    """A side write that fails the way bad data does (not an outage)."""

    def apply(self, conn: Connection) -> None:
        raise ValueError("bad record")


def _people(storage: SQLiteStorage) -> list[str]:
    with storage.engine.connect() as conn:
        return sorted(str(r[0]) for r in conn.execute(select(persons_table.c.user_id)))


@pytest.fixture
def storage(tmp_path: Path) -> GatedStorage:
    engine = GatedStorage(f"sqlite:///{tmp_path / 'f.db'}")
    engine.startup()
    yield engine
    engine.shutdown()


def test_a_side_write_and_its_events_commit_together(storage: GatedStorage) -> None:
    storage.gate.set()
    results = commit(storage, [Batch(_drafts(2), [Identify("u1")])])
    assert len(results) == 2
    assert storage.count_events() == 2
    assert _people(storage) == ["u1"]


def test_a_failing_side_write_stores_none_of_its_events(storage: GatedStorage) -> None:
    storage.gate.set()
    with pytest.raises(ValueError, match="bad record"):
        commit(storage, [Batch(_drafts(2), [Identify("u1"), Broken()])])
    assert storage.count_events() == 0
    assert _people(storage) == []


def test_a_failing_batch_in_a_group_commit_fails_alone(storage: GatedStorage) -> None:
    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=100, batch_max_events=100)
        writer.start()
        held = writer.submit(Batch(_drafts(1, 900)))
        await entered(storage)  # the next three queue up behind it, into one group commit
        good = asyncio.ensure_future(ingest(writer, Batch(_drafts(2), [Identify("u1")])))
        await until(lambda: writer.depth == 3)
        bad = writer.submit(Batch(_drafts(2, 100), [Identify("u2"), Broken()]))
        also_good = writer.submit(Batch(_drafts(2, 200), [Identify("u3")]))
        storage.gate.set()
        assert len(await held) == 1
        assert len(await good) == 2
        with pytest.raises(Unavailable):
            await bad
        assert len(await also_good) == 2
        await writer.stop()

    asyncio.run(scenario())
    # The group of three failed once, then each batch was tried on its own.
    assert storage.batches == [1, 6, 2, 2, 2]
    assert storage.count_events() == 5
    assert _people(storage) == ["u1", "u3"]


class Outage(GatedStorage):
    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        super().insert_batch([], ())  # counts the attempt at the gate
        raise sqlite3.OperationalError("database is locked")


def test_an_outage_fails_the_group_without_retrying_each_batch(tmp_path: Path) -> None:
    storage = Outage(f"sqlite:///{tmp_path / 'o.db'}")
    storage.startup()

    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=100, batch_max_events=100)
        writer.start()
        held = writer.submit(Batch(_drafts(1)))
        await entered(storage)
        queued = [writer.submit(Batch(_drafts(1, n))) for n in (10, 20)]
        storage.gate.set()
        for future in (held, *queued):
            with pytest.raises(Unavailable):
                await future
        await writer.stop()

    asyncio.run(scenario())
    assert len(storage.batches) == 2  # one attempt per group, none per batch
    storage.shutdown()


def test_after_commit_effects_run_once_per_commit_after_it(storage: GatedStorage) -> None:
    seen: list[tuple[int, int, int]] = []
    timings: list[int] = []

    def effect(drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        # Runs after the commit: the events are already visible to another connection.
        seen.append((len(drafts), len(results), storage.count_events()))

    def failing(drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        raise RuntimeError("an effect's failure must not fail the requests")

    effects = AfterCommit()
    effects.add(failing)
    effects.add(effect)
    effects.time(lambda seconds, events: timings.append(events))

    async def scenario() -> None:
        writer = Writer(storage, max_queue_events=100, batch_max_events=100, after_commit=effects)
        writer.start()
        held = writer.submit(Batch(_drafts(1, 900)))
        await entered(storage)
        pending = [writer.submit(Batch(_drafts(2, n))) for n in (0, 100)]
        storage.gate.set()
        assert len(await held) == 1
        assert [len(await p) for p in pending] == [2, 2]
        assert seen == [(1, 1, 1), (4, 4, 5)]  # every request answered after its commit's effects
        await writer.stop()

    asyncio.run(scenario())
    assert seen == [(1, 1, 1), (4, 4, 5)]
    assert timings == [1, 4]


def test_effects_do_not_run_for_a_commit_that_failed(storage: GatedStorage) -> None:
    calls: list[int] = []
    effects = AfterCommit()
    effects.add(lambda drafts, results: calls.append(len(drafts)))
    storage.gate.set()
    with pytest.raises(ValueError, match="bad record"):
        commit(storage, [Batch(_drafts(1), [Broken()])], effects)
    assert calls == []
    commit(storage, [Batch(_drafts(1))], effects)
    assert calls == [1]


def test_events_retried_after_a_failed_group_keep_the_streams_they_create(
    storage: GatedStorage,
) -> None:
    storage.gate.set()
    fresh = [EventDraft(1, "new", "stream", 5, 5, 1.0, None, None, "n1", None, None, None)]
    with pytest.raises(ValueError, match="bad record"):
        commit(storage, [Batch(fresh), Batch(_drafts(1), [Broken()])])
    commit(storage, [Batch(fresh)])
    assert [s.name for s in storage.streams(EventFilter(namespace="new"))] == ["stream"]
