"""The embedded SQLite engine.

One writer (the core writer thread) calls :meth:`SQLiteStorage.insert_batch`; readers get a
connection per thread. WAL lets readers run beside the writer, and ``synchronous=FULL`` makes
every commit durable before the writer acknowledges it. Ids are assigned inside a
``BEGIN IMMEDIATE`` transaction, so several processes on one file still agree on them.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Text,
    case,
    cast,
    create_engine,
    event,
    exists,
    func,
    text,
)
from sqlalchemy.engine import Connection, Engine

from tidings.errors import Unavailable
from tidings.model.events import EventDraft
from tidings.model.records import BucketStat, InsertResult, RollupTotal
from tidings.private_files import private_dir, private_file, warn_if_exposed
from tidings.storage import migrate
from tidings.storage.base import PERSON_SQL, Storage
from tidings.storage.batch_plan import EVENT_COLUMNS, StreamKey
from tidings.storage.bulk_insert import insert_rows
from tidings.storage.day_stats import FORGET_SQL, DayStats
from tidings.storage.dedup import MESSAGE_ID_COLUMNS, Found
from tidings.storage.entities import EntityTables
from tidings.storage.event_engine import EventEngine, Pieces, RowFilters
from tidings.storage.maintenance import Maintenance
from tidings.storage.rollups import TierRow
from tidings.storage.schema import TIERS, events
from tidings.storage.write_turn import WriteTurn, sole_holder

_UPSERT = (
    'INSERT INTO {table} (stream_id, bucket, "count", "sum", "min", "max") '
    # One statement per tier and batch, for the reason given in storage/bulk_insert.py (the
    # JSON unpacking it measured costs little here: one row per stream and bucket); "WHERE true"
    # is how SQLite tells the upsert's ON CONFLICT from a join constraint after a SELECT.
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 "
    "FROM json_each(?) WHERE true "
    'ON CONFLICT (stream_id, bucket) DO UPDATE SET "count" = "count" + excluded."count", '
    '"sum" = "sum" + excluded."sum", "min" = min("min", excluded."min"), '
    '"max" = max("max", excluded."max")'
)
_UPSERTS = tuple(_UPSERT.format(table=table.name) for table, _ in TIERS)
#: Seconds between background checkpoints, and the WAL size kept on disk after one.
CHECKPOINT_INTERVAL = 0.5
WAL_SIZE_LIMIT = 64 * 1024 * 1024
# The next id: past both the newest row and the highest id ever handed out (rows deleted
# by retention or erasure must not have their ids handed out again).
_NEXT_ID = (
    "SELECT max(COALESCE((SELECT MAX(id) FROM events), 0),"
    " COALESCE((SELECT value FROM counters WHERE name = 'events_id'), 0)) + 1"
)
_MARK_HIGH_WATER = (
    "INSERT INTO counters (name, value) SELECT 'events_id', COALESCE(MAX(id), 0) FROM events "
    "WHERE true ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
)
_FORGET_DAY = FORGET_SQL.format(p="?")

_CHUNK = 500  # SQLite's host-parameter limit is high, but long IN lists plan poorly.
_T = TypeVar("_T")


log = logging.getLogger(__name__)


def _path_from_url(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite:/// URL: {url!r}")
    path = url.removeprefix("sqlite:///")
    if not path or path.startswith(":memory:"):
        raise ValueError("SQLite needs a file; in-memory databases cannot be shared by threads")
    return Path(path)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when it returns, so an acknowledged event survives power loss.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    # Checkpoints run in a background thread (SQLiteStorage._checkpoint_loop), not inside
    # whichever commit happens to cross the threshold: a checkpoint copies and fsyncs
    # thousands of pages, and every request waiting on that commit would wait for it too.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")


#: Keys a ``$."..."`` path names exactly: SQLite compares a quoted path label with the key's
#: raw JSON text and knows no escapes in it, so a key holding ``"``, ``\\``, a control or a
#: non-ASCII character (which a writer may escape) is looked up through json_each instead.
_PLAIN_KEY = re.compile(r"[ !#-\[\]-~]*")

#: Property ``key`` (parameter 1) renders as ``value`` (parameter 2): true/false as words,
#: numbers as their text, as json_extract would give them.
_PROP_EACH = (
    "EXISTS (SELECT 1 FROM json_each(properties) AS p WHERE p.key = ? AND "
    "(CASE p.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
    "ELSE CAST(p.value AS TEXT) END) = ?)"
)


def _prop_path(key: str) -> str | None:
    """The JSON path naming ``key`` exactly, or None when only json_each can name it."""
    return '$."' + key + '"' if _PLAIN_KEY.fullmatch(key) else None


class SQLiteStorage(EventEngine[sqlite3.Connection], Maintenance, DayStats, EntityTables, Storage):
    """Storage in one SQLite file."""

    _mark = "?"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _path_from_url(url)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = True
        self._stop_checkpoints = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._streams_by_key, self._streams_by_id = {}, {}
        self._write_turn = WriteTurn(self.path)
        self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(self.engine, "connect", lambda dbapi_conn, _rec: _configure(dbapi_conn))

    # -- lifecycle ---------------------------------------------------------------------------
    def startup(self) -> None:
        # Owner-only before SQLite opens it: the -wal and -shm files copy the database's mode.
        private_dir(self.path.parent, warn=False)
        private_file(self.path)
        warn_if_exposed(*(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm")))
        migrate.upgrade(self.engine)
        self._closed = False
        self._stop_checkpoints.clear()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="tidings-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """Copy committed WAL pages into the database file, off the commit path.

        PASSIVE never blocks the writer or readers; once a pass has copied everything, the
        next write transaction starts the WAL over from its beginning, so it stops growing.
        """
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        _configure(conn)
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_INTERVAL):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # busy or I/O trouble: try again next round
                    log.warning("checkpoint failed: %s", exc)
        finally:
            conn.close()

    def shutdown(self) -> None:
        self._stop_checkpoints.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
            self._checkpointer = None
        self._closed = True
        self._write_turn.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self.engine.dispose()

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise Unavailable("storage is closed. Did the app lifespan run?")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            _configure(conn)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def ping(self) -> None:
        self._conn().execute("SELECT 1").fetchone()

    def sole_pass(self, name: str) -> AbstractContextManager[bool]:
        return sole_holder(self.path.with_name(f"{self.path.name}.{name}.lock"))

    @contextmanager
    def _write_tx(self) -> Iterator[Connection]:
        # IMMEDIATE: take the write lock up front (waiting up to busy_timeout) instead of
        # failing when a read transaction must upgrade after the writer committed. The write
        # turn first, so other processes' writers wait on it rather than in SQLite's
        # sleep-and-retry busy handler while maintenance (sealing, pruning) writes.
        with self._write_turn, self.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _mark_high_water(self, conn: Connection) -> None:
        conn.execute(text(_MARK_HIGH_WATER))

    def _prop_condition(self, key: str, value: str) -> ColumnElement[bool]:
        # The Core spelling of _prop_clause, so deletes match exactly what lists show.
        path = _prop_path(key)
        if path is None:
            each = func.json_each(events.c.properties).table_valued("key", "value", "type")
            shown = case(
                (each.c.type == "true", "true"),
                (each.c.type == "false", "false"),
                else_=cast(each.c.value, Text),
            )
            return exists().where(each.c.key == key, shown == value)
        kind = func.json_type(events.c.properties, path)
        rendered = case(
            (kind == "true", "true"),
            (kind == "false", "false"),
            else_=cast(func.json_extract(events.c.properties, path), Text),
        )
        return rendered == value

    # -- writes ----------------------------------------------------------------------------
    def _insert_alone(self, drafts: Sequence[EventDraft]) -> list[InsertResult]:
        conn = self._conn()
        with self._write_turn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                results = self._insert(conn, drafts)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return results

    def _driver(self, tx: Connection) -> sqlite3.Connection:
        return tx.connection.driver_connection  # type: ignore[return-value]

    def _first_id(
        self, conn: sqlite3.Connection, drafts: Sequence[EventDraft], existing: Found
    ) -> int:
        # Past the newest id, under BEGIN IMMEDIATE: no other writer can take the same ones,
        # so there is no need to count them first.
        return int(conn.execute(_NEXT_ID).fetchone()[0])

    def _new_stream(self, conn: sqlite3.Connection, key: StreamKey) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO streams (source_id, namespace, name) VALUES (?,?,?)", key
        )
        row = conn.execute(
            "SELECT id FROM streams WHERE source_id=? AND namespace=? AND name=?", key
        ).fetchone()
        return int(row[0])

    def _write_events(self, conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
        insert_rows(conn, "events", EVENT_COLUMNS, rows)

    def _write_message_ids(self, conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
        insert_rows(conn, "message_ids", MESSAGE_ID_COLUMNS, rows)

    def _write_rollups(self, conn: sqlite3.Connection, tiers: list[list[TierRow]]) -> None:
        for sql, tier_rows in zip(_UPSERTS, tiers, strict=True):
            conn.execute(sql, (orjson.dumps(tier_rows),))

    def _forget_days(self, conn: sqlite3.Connection, stale: list[tuple[int, int]]) -> None:
        conn.executemany(_FORGET_DAY, stale)

    # -- reads -------------------------------------------------------------------------------
    def _fetch(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._conn().execute(sql, params).fetchall()

    def _parts(self, items: Sequence[_T]) -> Iterator[Sequence[_T]]:
        for start in range(0, len(items), _CHUNK):
            yield items[start : start + _CHUNK]

    def _in_ids(self, column: str, ids: Sequence[int]) -> tuple[str, list[object]]:
        # Written out: integers need no parameters, so no list runs into the limit.
        return f"{column} IN ({','.join(str(int(i)) for i in ids)})", []

    def _in_values(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def _prop_clause(self, key: str, value: str) -> tuple[str, list[object]]:
        path = _prop_path(key)
        if path is None:
            return _PROP_EACH, [key, value]
        clause = (
            "(CASE json_type(properties, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            "ELSE CAST(json_extract(properties, ?) AS TEXT) END) = ?"
        )
        return clause, [path, path, value]

    def rollup_totals(
        self, tier: int, stream_ids: Sequence[int], pieces: Sequence[tuple[int, int, int]]
    ) -> Iterator[RollupTotal]:
        # The pieces go in as one JSON parameter (no host-parameter limit), materialised so
        # their bounds are plain columns for the primary-key range search on each join.
        table = TIERS[tier][0].name
        conn = self._conn()
        for part in self._parts(stream_ids):
            marks = ",".join(str(int(i)) for i in part)
            sql = (
                "WITH p(k, lo, hi) AS MATERIALIZED (SELECT json_extract(value, '$[0]'), "
                "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
                'SELECT p.k, r.stream_id, sum(r."count"), sum(r."sum"), min(r."min"), '
                f'max(r."max") FROM p JOIN {table} r ON r.stream_id IN ({marks}) '
                "AND r.bucket >= p.lo AND r.bucket < p.hi GROUP BY p.k, r.stream_id"
            )
            for row in conn.execute(sql, (json.dumps(pieces),)):
                yield RollupTotal(*row)

    def _scan_sql(self, stream_ids: Sequence[int], filters: str) -> str:
        # Pieces come in as one JSON parameter, materialised so each join is a range search
        # on ix_events_stream_ts (see rollup_totals).
        marks = ",".join(str(int(i)) for i in stream_ids)
        return (
            "WITH p(k, lo, hi) AS MATERIALIZED (SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
            f"SELECT {{columns}} FROM p JOIN events e ON e.stream_id IN ({marks}) "
            f"AND e.ts >= p.lo AND e.ts < p.hi{filters} GROUP BY {{group}}"
        )

    def _persons(
        self, stream_ids: Sequence[int], pieces: Pieces, rows: RowFilters
    ) -> Iterator[BucketStat]:
        filters, params = rows
        sql = self._scan_sql(stream_ids, filters).format(
            columns=f"p.k, count(*), count(DISTINCT {PERSON_SQL})", group="p.k"
        )
        for key, count, persons in self._conn().execute(sql, (json.dumps(pieces), *params)):
            yield BucketStat(key, count, persons)

    def _percentile(
        self, q: float, stream_ids: Sequence[int], pieces: Pieces, rows: RowFilters
    ) -> Iterator[BucketStat]:
        # SQLite has no percentile function. Count each distinct value per key (a sort in
        # SQL, not in Python), then keep only the one or two values that straddle rank
        # floor(q * (n - 1)): Python sees two rows per bucket, not every event.
        filters, params = rows
        histogram = self._scan_sql(stream_ids, filters).format(
            columns="p.k AS k, e.value AS v, count(*) AS c", group="p.k, e.value"
        )
        sql = (
            f"WITH h AS ({histogram}), r AS (SELECT k, v, c, "
            "sum(c) OVER (PARTITION BY k ORDER BY v) AS upto, "
            "sum(c) OVER (PARTITION BY k) AS n FROM h) "
            "SELECT k, n, v, upto - c, upto FROM r "
            "WHERE upto > CAST(? * (n - 1) AS INTEGER) "
            "AND upto - c <= CAST(? * (n - 1) AS INTEGER) + 1 ORDER BY k, v"
        )
        found = self._conn().execute(sql, (json.dumps(pieces), *params, q, q)).fetchall()
        for key, group in itertools.groupby(found, key=lambda row: row[0]):
            near = list(group)
            n = int(near[0][1])

            def at(rank: int, near: list[tuple[int, int, float, int, int]] = near) -> float:
                return next(v for _k, _n, v, first, upto in near if first <= rank < upto)

            position = q * (n - 1)
            low = math.floor(position)
            low_value, high_value = at(low), at(min(low + 1, n - 1))
            yield BucketStat(key, n, low_value + (high_value - low_value) * (position - low))

    def _scan(self, sql: str, param_sets: list[tuple[object, ...]]) -> Iterator[Any]:
        conn = self._conn()
        for params in param_sets:
            yield from conn.execute(sql, params)
