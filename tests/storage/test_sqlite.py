from __future__ import annotations

import sqlite3
from pathlib import Path

from tidings.model.events import EventDraft
from tidings.model.records import EventFilter, RollupTotal
from tidings.storage.base import Storage
from tidings.storage.schema import TIERS
from tidings.storage.sqlite import SQLiteStorage

MINUTE = 60_000_000


def _draft(ts: int, value: float, message_id: str, client: bool = True) -> EventDraft:
    mid = message_id if client else None
    return EventDraft(1, "ns", "n", ts, ts, value, None, None, mid, None, None, None)


def test_startup_is_idempotent_and_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    for _ in range(2):
        storage = SQLiteStorage(url)
        storage.startup()
        storage.shutdown()
    conn = sqlite3.connect(tmp_path / "t.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None


def test_ids_increase_and_duplicates_keep_the_first_id(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 't.db'}")
    storage.startup()
    first = storage.insert_batch([_draft(1, 1, "a"), _draft(2, 1, "b"), _draft(3, 1, "a")])
    assert [(r.id, r.duplicate) for r in first] == [(1, False), (2, False), (1, True)]
    again = storage.insert_batch([_draft(4, 1, "b"), _draft(5, 1, "c")])
    assert [(r.id, r.duplicate) for r in again] == [(2, True), (3, False)]
    assert storage.count_events() == 3
    storage.shutdown()


def test_every_rollup_tier_holds_the_same_totals(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 't.db'}")
    storage.startup()
    values = [(i * 7 * MINUTE + 13, float(i % 5 - 2)) for i in range(500)]
    storage.insert_batch([_draft(ts, v, f"m{i}", client=False) for i, (ts, v) in enumerate(values)])
    (stream,) = storage.streams(EventFilter(namespace="ns"))
    whole = [(0, 10**15)]
    for tier in range(len(TIERS)):
        rows = list(storage.rollup_rows(tier, [stream.id], whole))
        assert sum(r.count for r in rows) == 500
        assert sum(r.sum for r in rows) == sum(v for _, v in values)
        assert min(r.min for r in rows) == -2.0 and max(r.max for r in rows) == 2.0
    storage.shutdown()


def test_sql_rollup_totals_equal_the_portable_default(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 't.db'}")
    storage.startup()
    values = [(i * 7 * MINUTE + 13, float(i % 5 - 2)) for i in range(500)]
    storage.insert_batch([_draft(ts, v, f"m{i}", client=False) for i, (ts, v) in enumerate(values)])
    (stream,) = storage.streams(EventFilter(namespace="ns"))
    pieces = [(0, 0, 60 * MINUTE), (1, 60 * MINUTE, 600 * MINUTE), (0, 900 * MINUTE, 1200 * MINUTE)]

    def key(total: RollupTotal) -> tuple[int, int]:
        return (total.key, total.stream_id)

    fast = sorted(storage.rollup_totals(0, [stream.id], pieces), key=key)
    portable = sorted(Storage.rollup_totals(storage, 0, [stream.id], pieces), key=key)
    assert fast == portable
    assert [t.key for t in fast] == [0, 1]
    storage.shutdown()
