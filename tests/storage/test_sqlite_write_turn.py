"""Every SQLite writer of a database, ingest and maintenance alike, waits for the write turn.

Another holder of the turn stands in for another server process (flock excludes per open
file, so a second WriteTurn on the same database behaves like one).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tidings.core.sealing import GRACE_US, seal
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import sqlite as sqlite_module
from tidings.storage.day_stats import DAY_US
from tidings.storage.sqlite import SQLiteStorage
from tidings.storage.write_turn import WriteTurn


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    engine = SQLiteStorage(f"sqlite:///{tmp_path / 't.db'}")
    engine.startup()
    engine.insert_batch([EventDraft(1, "ns", "n", 1, 1, 1.0, None, None, None, "u", None, None)])
    yield engine
    engine.shutdown()


WRITES: dict[str, Callable[[SQLiteStorage], object]] = {
    "ingest": lambda s: s.insert_batch(
        [EventDraft(1, "ns", "n", 2, 2, 1.0, None, None, None, None, None, None)]
    ),
    "retention prune": lambda s: s.prune_events(1, 10, 100),
    "erasure": lambda s: s.erase_person(user_id="u"),
    "delete": lambda s: s.delete_events(EventFilter(namespace="ns")),
    # The event at t=1 us lies in the day starting at 0, long finished.
    "sealing": lambda s: s.seal_day(1, 0, 10 * DAY_US),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_waits_while_another_process_holds_the_turn(
    storage: SQLiteStorage, tmp_path: Path, write: Callable[[SQLiteStorage], object]
) -> None:
    other = WriteTurn(tmp_path / "t.db")
    done = threading.Event()

    def run() -> None:
        write(storage)
        done.set()

    with other:
        worker = threading.Thread(target=run)
        worker.start()
        assert not done.wait(0.3), "the write went ahead while another process held the turn"
    assert done.wait(10), "the write did not go ahead once the turn was released"
    worker.join()
    other.close()


def test_sealing_during_heavy_ingest_waits_its_turn_and_never_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short busy timeout, so a pass that would sleep in SQLite's busy handler against the
    # writer fails within the test (the server's is 10 s) instead of passing by luck.
    configure = sqlite_module._configure

    def impatient(conn: sqlite3.Connection) -> None:
        configure(conn)
        conn.execute("PRAGMA busy_timeout=50")

    monkeypatch.setattr(sqlite_module, "_configure", impatient)
    engine = SQLiteStorage(f"sqlite:///{tmp_path / 'busy.db'}")
    engine.startup()
    days = 40
    engine.insert_batch(
        [
            EventDraft(
                1, "ns", f"s{i % 4}", d * DAY_US + i, 1, 1.0, None, None, None, "u", None, None
            )
            for d in range(days)
            for i in range(8)
        ]
    )
    stop = threading.Event()
    ingested: list[int] = []
    failures: list[BaseException] = []
    busy = threading.Event()

    def ingest() -> None:
        late = (days + 5) * DAY_US
        try:
            while not stop.is_set():
                batch = [
                    EventDraft(1, "ns", "hot", late + i, 2, 1.0, None, None, None, None, None, None)
                    for i in range(500)
                ]
                ingested.append(len(engine.insert_batch(batch)))
                if len(ingested) == 3:
                    busy.set()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)

    writer = threading.Thread(target=ingest)
    writer.start()
    try:
        assert busy.wait(30), "the writer never got going"
        sealed = seal(engine, now=(days + 1) * DAY_US + GRACE_US)
    finally:
        stop.set()
        writer.join()
        engine.shutdown()
    assert not failures
    assert sealed == days * 4
