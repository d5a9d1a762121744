from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings.core import retention
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.sqlite import SQLiteStorage

DAY = retention.DAY_US
NOW = 1_000 * DAY


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    engine = SQLiteStorage(f"sqlite:///{tmp_path / 'r.db'}")
    engine.startup()
    yield engine
    engine.shutdown()


def _fill(storage: SQLiteStorage, source_id: int, days_ago: list[int]) -> None:
    storage.insert_batch(
        [
            EventDraft(
                source_id,
                "ns",
                "n",
                NOW - d * DAY,
                NOW,
                1.0,
                None,
                None,
                f"{source_id}-{i}",
                None,
                None,
                None,
            )
            for i, d in enumerate(days_ago)
        ]
    )


def test_a_source_setting_wins_over_the_global_one(storage: SQLiteStorage) -> None:
    own = storage.create_source("own", "o" * 64, 10).id
    other = storage.create_source("other", "x" * 64, None).id
    _fill(storage, own, [1, 5, 20, 40])
    _fill(storage, other, [1, 5, 20, 40])
    assert retention.cutoffs(storage, 0, NOW) == {own: NOW - 10 * DAY}
    assert retention.cutoffs(storage, 30, NOW) == {own: NOW - 10 * DAY, other: NOW - 30 * DAY}
    assert retention.prune(storage, 30, now=NOW) == 3
    left = sorted(
        (e.source, (NOW - e.timestamp) // DAY) for e in storage.list_events(EventFilter(), 0, 99)
    )
    assert left == [("other", 1), ("other", 5), ("other", 20), ("own", 1), ("own", 5)]


def test_work_goes_in_batches_with_a_pause_between(storage: SQLiteStorage) -> None:
    src = storage.create_source("s", "s" * 64, 1).id
    _fill(storage, src, [5] * 25)
    pauses: list[int] = []
    deleted = retention.prune(storage, 0, batch=10, pause=lambda: pauses.append(1), now=NOW)
    assert deleted == 25 and len(pauses) == 2
    assert storage.count_events() == 0


def test_the_pruner_runs_a_pass_and_stops(storage: SQLiteStorage) -> None:
    src = storage.create_source("s", "s" * 64, 1).id
    _fill(storage, src, [1_000, 2_000])

    async def scenario() -> int:
        pruner = retention.Pruner(storage, 0, interval=3600)
        pruner.start()
        deleted = await pruner.run_once()
        await pruner.stop()
        return deleted

    assert asyncio.run(scenario()) == 2
