"""How much one batch of fresh UUIDv4 message ids costs to de-duplicate, per structure.

Each option stores ``--stored`` ids first (bulk, untimed), then times ``--batches`` commits of
``--batch`` fresh UUIDv4 ids: look them up (all are new, as a Segment SDK's are), insert them,
commit with ``synchronous=FULL`` (the server's setting). SQLite only: the same B-tree effect
drives PostgreSQL's unique index, and SQLite is where the issue measured the decay.

- ``append-only``: no de-duplication at all, the floor (the commit's fsync and the rows);
- ``events-unique``: today's layout, a unique (source_id, message_id) index on the events
  table that holds every id ever stored;
- ``window-by-day``: a WITHOUT ROWID table keyed (day, source_id, message_id) whose stored
  ids are spread over the past days of the window: inserts touch today's part only, lookups
  probe each day of the window;
- ``window-by-day-all-today``: the same with every stored id received today (the worst case:
  the whole window's volume arrived in one day);
- ``window-single-key``: what Tidings uses: a WITHOUT ROWID table keyed (source_id,
  message_id) with a day index, holding the window's ids only (here all ``--stored`` of them:
  the cost depends on the window's volume, not on the history before it);
- ``hash64``: a WITHOUT ROWID table keyed by a 64-bit hash of (source, id) and the event id
  (exact after checking the event's stored id), every id in one tree.

    python bench/dedup_options.py --stored 2000000
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

DAY = 86_400_000_000
TODAY = 20_000


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def _h(source: int, message_id: str) -> int:
    digest = hashlib.blake2b(f"{source}\x00{message_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Option:
    name = ""

    def __init__(self, conn: sqlite3.Connection, window: int) -> None:
        self.conn, self.window, self.next_id = conn, window, 1

    def fill(self, ids: list[str]) -> None: ...

    def batch(self, ids: list[str]) -> None: ...


class AppendOnly(Option):
    name = "append-only (no dedup)"

    def fill(self, ids: list[str]) -> None:
        self.conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, source_id INT, m TEXT)")
        self.conn.executemany(
            "INSERT INTO events VALUES (?, 1, ?)", enumerate(ids, start=self.next_id)
        )
        self.next_id += len(ids)

    def batch(self, ids: list[str]) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        c.executemany("INSERT INTO events VALUES (?, 1, ?)", enumerate(ids, start=self.next_id))
        self.next_id += len(ids)
        c.execute("COMMIT")


class EventsUnique(Option):
    name = "events-unique"

    def fill(self, ids: list[str]) -> None:
        self.conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, source_id INT, message_id TEXT, "
            "UNIQUE (source_id, message_id))"
        )
        self.conn.executemany(
            "INSERT INTO events VALUES (?, 1, ?)", enumerate(ids, start=self.next_id)
        )
        self.next_id += len(ids)

    def batch(self, ids: list[str]) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(ids))
        c.execute(f"SELECT id FROM events WHERE source_id = 1 AND message_id IN ({marks})", ids)
        c.executemany("INSERT INTO events VALUES (?, 1, ?)", enumerate(ids, start=self.next_id))
        self.next_id += len(ids)
        c.execute("COMMIT")


class WindowByDay(Option):
    name = "window-by-day"
    spread = True

    def fill(self, ids: list[str]) -> None:
        self.conn.execute(
            "CREATE TABLE message_ids (day INT, source_id INT, message_id TEXT, event_id INT, "
            "PRIMARY KEY (day, source_id, message_id)) WITHOUT ROWID"
        )
        days = self.window + 1 if self.spread else 1
        rows = [
            (TODAY - (i % days if self.spread else 0), m, self.next_id + i)
            for i, m in enumerate(ids)
        ]
        rows.sort()
        self.conn.executemany("INSERT INTO message_ids VALUES (?, 1, ?, ?)", rows)
        self.next_id += len(ids)

    def batch(self, ids: list[str]) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        days = ",".join(str(TODAY - d) for d in range(self.window + 1))
        marks = ",".join("?" * len(ids))
        c.execute(
            f"SELECT event_id FROM message_ids WHERE day IN ({days}) AND source_id = 1 "
            f"AND message_id IN ({marks})",
            ids,
        ).fetchall()
        c.executemany(
            "INSERT INTO message_ids VALUES (?, 1, ?, ?)",
            [(TODAY, m, self.next_id + i) for i, m in enumerate(ids)],
        )
        self.next_id += len(ids)
        c.execute("COMMIT")


class WindowAllToday(WindowByDay):
    name = "window-by-day-all-today"
    spread = False


class WindowSingleKey(Option):
    name = "window-single-key"

    def fill(self, ids: list[str]) -> None:
        self.conn.execute(
            "CREATE TABLE message_ids (source_id INT, message_id TEXT, day INT, event_id INT, "
            "PRIMARY KEY (source_id, message_id)) WITHOUT ROWID"
        )
        self.conn.execute("CREATE INDEX ix_day ON message_ids (day)")
        rows = [(m, TODAY - i % (self.window + 1), self.next_id + i) for i, m in enumerate(ids)]
        self.conn.executemany("INSERT INTO message_ids VALUES (1, ?, ?, ?)", rows)
        self.next_id += len(ids)

    def batch(self, ids: list[str]) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(ids))
        c.execute(
            "SELECT event_id, day FROM message_ids WHERE source_id = 1 "
            f"AND message_id IN ({marks})",
            ids,
        ).fetchall()
        c.executemany(
            "INSERT INTO message_ids VALUES (1, ?, ?, ?)",
            [(m, TODAY, self.next_id + i) for i, m in enumerate(ids)],
        )
        self.next_id += len(ids)
        c.execute("COMMIT")


class Hash64(Option):
    name = "hash64"

    def fill(self, ids: list[str]) -> None:
        self.conn.execute(
            "CREATE TABLE message_ids (h INT, event_id INT, PRIMARY KEY (h, event_id)) "
            "WITHOUT ROWID"
        )
        rows = sorted((_h(1, m), self.next_id + i) for i, m in enumerate(ids))
        self.conn.executemany("INSERT INTO message_ids VALUES (?, ?)", rows)
        self.next_id += len(ids)

    def batch(self, ids: list[str]) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        hashes = [_h(1, m) for m in ids]
        marks = ",".join("?" * len(ids))
        c.execute(f"SELECT event_id FROM message_ids WHERE h IN ({marks})", hashes).fetchall()
        c.executemany(
            "INSERT INTO message_ids VALUES (?, ?)",
            [(h, self.next_id + i) for i, h in enumerate(hashes)],
        )
        self.next_id += len(ids)
        c.execute("COMMIT")


OPTIONS: list[Callable[[sqlite3.Connection, int], Option]] = [
    AppendOnly,
    EventsUnique,
    WindowByDay,
    WindowAllToday,
    WindowSingleKey,
    Hash64,
]


def run(stored: int, batch: int, batches: int, window: int, work: Path) -> None:
    print(f"stored {stored:,} UUIDv4 ids, {batches} commits of {batch}, window {window} days")
    for make in OPTIONS:
        path = work / f"{make.__name__}.db"  # type: ignore[attr-defined]
        conn = _connect(path)
        option = make(conn, window)
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        option.fill([str(uuid.uuid4()) for _ in range(stored)])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA synchronous=FULL")
        times = []
        for _ in range(batches):
            ids = [str(uuid.uuid4()) for _ in range(batch)]
            began = time.perf_counter()
            option.batch(ids)
            times.append(time.perf_counter() - began)
        per_event = statistics.median(times) / batch * 1e6
        p90 = sorted(times)[int(0.9 * len(times))] * 1e3
        print(
            f"  {option.name:26s} median {statistics.median(times) * 1e3:7.2f} ms/commit "
            f"({per_event:6.1f} us/event), p90 {p90:7.2f} ms, "
            f"file {path.stat().st_size / 2**20:.0f} MiB"
        )
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--window", type=int, default=7)
    parser.add_argument("--only", help="comma list of option names")
    args = parser.parse_args()
    if args.only:
        wanted = set(args.only.split(","))
        OPTIONS[:] = [o for o in OPTIONS if o.name in wanted]  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as work:
        run(args.stored, args.batch, args.batches, args.window, Path(work))


if __name__ == "__main__":
    main()
