"""Sealed days on every engine: exact figures, sealing order, and every write that must void
a sealed day (late insert, delete, erasure, retention) doing so in its transaction."""

from __future__ import annotations

import time

import pytest

from tests.random_events import fill_randomly
from tests.storage.test_contract import DAY, draft, source
from tidings.core import sealing
from tidings.model.records import EventFilter
from tidings.model.sketches import Histogram, HyperLogLog
from tidings.storage.base import Storage

#: 2025-03-10T00:00Z: long past, so every day of the data may be sealed.
BASE = 1_741_564_800_000_000
QS = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def _fill(storage: Storage, src: int, days: int, seed: int, name: str = "n") -> None:
    fill_randomly(storage, src, start=BASE, days=days, per_day=40, seed=seed, names=(name,))


def _stream(storage: Storage, name: str = "n") -> int:
    return storage.streams(EventFilter(names=(name,)))[0].id


def _row(storage: Storage, stream_id: int, day: int) -> object:
    rows = storage.day_stats([stream_id], day, day + DAY)
    return rows[0] if rows else None


def test_sealed_figures_equal_what_the_raw_scan_computes(storage: Storage) -> None:
    src = source(storage)
    _fill(storage, src, 4, seed=1)
    sid = _stream(storage)
    assert sealing.seal(storage) == 4
    pieces = [(k, BASE + k * DAY, BASE + (k + 1) * DAY) for k in range(4)]
    persons = {s.key: s for s in storage.distinct_persons([sid], pieces)}
    rows = {(r.day_us - BASE) // DAY: r for r in storage.day_stats([sid], BASE, BASE + 4 * DAY)}
    assert sorted(rows) == [0, 1, 2, 3]
    for name, q in QS.items():
        for stat in storage.value_percentile(q, [sid], pieces):
            assert getattr(rows[stat.key], name) == stat.value
    for key, row in rows.items():
        assert (row.events, row.persons) == (persons[key].count, persons[key].value)


def test_sketches_come_with_the_row_when_asked(storage: Storage) -> None:
    src = source(storage)
    _fill(storage, src, 1, seed=2)
    sid = _stream(storage)
    sealing.seal(storage)
    [row] = storage.day_stats([sid], BASE, BASE + DAY, "persons")
    assert row.sketch is not None
    assert round(HyperLogLog(row.sketch).estimate()) == row.persons
    [row] = storage.day_stats([sid], BASE, BASE + DAY, "values")
    assert row.sketch is not None
    assert Histogram.from_bytes(row.sketch).count == row.events
    assert storage.day_stats([sid], BASE, BASE + DAY)[0].sketch is None


def test_only_days_wholly_in_the_past_are_sealed_newest_first(storage: Storage) -> None:
    src = source(storage)
    today = time.time_ns() // 1000 // DAY * DAY
    storage.insert_batch([draft(src, day + 5, value=1.0) for day in (BASE, BASE + 2 * DAY, today)])
    now = today + DAY // 2
    assert storage.unsealed_days(now, 10) == [
        (_stream(storage), BASE + 2 * DAY),
        (_stream(storage), BASE),
    ]
    assert not storage.seal_day(_stream(storage), today, now)
    assert sealing.seal(storage, now=now) == 2
    assert storage.unsealed_days(now, 10) == []
    assert not storage.seal_day(_stream(storage), BASE, now)  # already sealed


def test_a_late_event_voids_its_sealed_day_only(storage: Storage) -> None:
    src = source(storage)
    _fill(storage, src, 3, seed=3)
    sid = _stream(storage)
    sealing.seal(storage)
    storage.insert_batch([draft(src, BASE + DAY + 7, "late", value=999.0, user_id="new")])
    assert _row(storage, sid, BASE + DAY) is None
    assert _row(storage, sid, BASE) is not None and _row(storage, sid, BASE + 2 * DAY)
    # An event of today touches no sealed day.
    storage.insert_batch([draft(src, time.time_ns() // 1000, "today")])
    assert len(storage.day_stats([sid], BASE, BASE + 3 * DAY)) == 2
    assert sealing.seal(storage) == 1
    row = _row(storage, sid, BASE + DAY)
    assert row is not None and row.p99 > 0  # type: ignore[attr-defined]


def test_deleting_events_voids_the_days_they_were_in(storage: Storage) -> None:
    src = source(storage)
    _fill(storage, src, 3, seed=4)
    sid = _stream(storage)
    sealing.seal(storage)
    storage.delete_events(
        EventFilter(from_us=BASE + 2 * DAY + 1, to_us=BASE + 2 * DAY + 5 * 3600_000_000)
    )
    assert [r.day_us for r in storage.day_stats([sid], BASE, BASE + 3 * DAY)] == [BASE, BASE + DAY]


def test_erasing_a_person_voids_the_days_they_were_in(storage: Storage) -> None:
    src = source(storage)
    storage.insert_batch(
        [
            draft(src, BASE + 10, "a", user_id="keep"),
            draft(src, BASE + DAY + 10, "b", user_id="gone"),
            draft(src, BASE + DAY + 20, "c", user_id="keep"),
        ]
    )
    sid = _stream(storage)
    sealing.seal(storage)
    assert storage.erase_person(user_id="gone") == 1
    assert [r.day_us for r in storage.day_stats([sid], BASE, BASE + 2 * DAY)] == [BASE]
    sealing.seal(storage)
    row = _row(storage, sid, BASE + DAY)
    assert row is not None and (row.events, row.persons) == (1, 1)  # type: ignore[attr-defined]


def test_retention_voids_the_pruned_days(storage: Storage) -> None:
    src = source(storage)
    _fill(storage, src, 3, seed=5)
    sid = _stream(storage)
    sealing.seal(storage)
    while storage.prune_events(src, BASE + 2 * DAY, 7) == 7:
        pass
    assert [r.day_us for r in storage.day_stats([sid], BASE, BASE + 3 * DAY)] == [BASE + 2 * DAY]
    assert sealing.seal(storage) == 0


@pytest.mark.parametrize("stream_count", [1, 2])
def test_sealing_leaves_other_streams_alone(storage: Storage, stream_count: int) -> None:
    src = source(storage)
    for k in range(stream_count):
        _fill(storage, src, 2, seed=10 + k, name=f"s{k}")
    sealing.seal(storage)
    storage.insert_batch([draft(src, BASE + 1, "late", name="s0")])
    left = storage.day_stats([s.id for s in storage.streams(EventFilter())], BASE, BASE + DAY)
    assert len(left) == stream_count - 1
