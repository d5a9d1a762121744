"""The sealing pass: one stream-day per step with a pause between, and its background task."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.test_contract import DAY, draft, source
from tidings.core import sealing
from tidings.storage.sqlite import SQLiteStorage

BASE = 1_741_564_800_000_000  # 2025-03-10T00:00Z


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    engine = SQLiteStorage(f"sqlite:///{tmp_path / 'sealing.db'}")
    engine.startup()
    yield engine
    engine.shutdown()


def test_a_pass_seals_every_past_day_one_step_at_a_time(storage: SQLiteStorage) -> None:
    src = source(storage)
    storage.insert_batch([draft(src, BASE + k * DAY + 1, name=f"s{k % 2}") for k in range(5)])
    pauses: list[int] = []
    progress: list[int] = []
    sealed = sealing.seal(storage, pause=lambda: pauses.append(1), progress=progress.append)
    assert sealed == 5 and len(pauses) == 5 and sum(progress) == 5
    assert sealing.seal(storage) == 0


def test_a_day_is_sealed_only_after_the_grace_period(storage: SQLiteStorage) -> None:
    storage.insert_batch([draft(source(storage), BASE + 1)])
    assert sealing.seal(storage, now=BASE + DAY + sealing.GRACE_US - 1) == 0
    assert sealing.seal(storage, now=BASE + DAY + sealing.GRACE_US) == 1


def test_the_sealer_runs_a_pass_and_stops(storage: SQLiteStorage) -> None:
    storage.insert_batch([draft(source(storage), BASE + 1), draft(source(storage, "b"), BASE)])

    async def scenario() -> int:
        sealer = sealing.Sealer(storage, interval=3600)
        sealer.start()
        sealed = await sealer.run_once()
        await sealer.stop()
        return sealed

    assert asyncio.run(scenario()) == 2
