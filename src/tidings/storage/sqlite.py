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
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

import orjson
from sqlalchemy import ColumnElement, Text, case, cast, create_engine, event, func, text
from sqlalchemy.engine import Connection, Engine

from tidings.errors import Unavailable
from tidings.model.events import EventDraft
from tidings.model.ids import derived_message_id
from tidings.model.records import (
    BucketStat,
    EventFilter,
    InsertResult,
    RawRow,
    RollupRow,
    RollupTotal,
    StoredEvent,
    Stream,
)
from tidings.storage import migrate
from tidings.storage.base import PERSON_SQL, SideWrite, Storage, row_filters
from tidings.storage.bulk_insert import insert_rows
from tidings.storage.day_stats import FORGET_SQL, DayStats, stale_days, today_us
from tidings.storage.dedup import Found, derived_repeats, lookups
from tidings.storage.entities import EntityTables
from tidings.storage.maintenance import Maintenance
from tidings.storage.rollups import accumulate
from tidings.storage.schema import TIERS, events
from tidings.storage.write_turn import WriteTurn, sole_holder

_EVENT_COLUMNS = (
    "id, source_id, stream_id, ts, received_at, value, message_id, properties, context, "
    "user_id, anonymous_id, session_id"
)
_EVENT_COLUMN_NAMES = tuple(_EVENT_COLUMNS.split(", "))
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


def _chunks(items: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _prop_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _prop_clause(key: str) -> tuple[str, str]:
    path = _prop_path(key)
    clause = (
        "(CASE json_type(properties, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        "ELSE CAST(json_extract(properties, ?) AS TEXT) END) = ?"
    )
    return clause, path


class SQLiteStorage(Maintenance, DayStats, EntityTables, Storage):
    """Storage in one SQLite file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _path_from_url(url)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = True
        self._stop_checkpoints = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._streams_by_key: dict[tuple[int, str, str], int] = {}
        self._streams_by_id: dict[int, Stream] = {}
        self._write_turn = WriteTurn(self.path)
        self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(self.engine, "connect", lambda dbapi_conn, _rec: _configure(dbapi_conn))

    # -- lifecycle ---------------------------------------------------------------------------
    def startup(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
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

    def _after_delete(self) -> None:
        self._streams_by_key.clear()

    def _prop_condition(self, key: str, value: str) -> ColumnElement[bool]:
        # The Core spelling of _prop_clause, so deletes match exactly what lists show.
        path = _prop_path(key)
        kind = func.json_type(events.c.properties, path)
        rendered = case(
            (kind == "true", "true"),
            (kind == "false", "false"),
            else_=cast(func.json_extract(events.c.properties, path), Text),
        )
        return rendered == value

    # -- streams -----------------------------------------------------------------------------
    def _stream_id(self, conn: sqlite3.Connection, source_id: int, ns: str, name: str) -> int:
        key = (source_id, ns, name)
        stream_id = self._streams_by_key.get(key)
        if stream_id is None:
            conn.execute(
                "INSERT OR IGNORE INTO streams (source_id, namespace, name) VALUES (?,?,?)", key
            )
            row = conn.execute(
                "SELECT id FROM streams WHERE source_id=? AND namespace=? AND name=?", key
            ).fetchone()
            stream_id = int(row[0])
            self._streams_by_key[key] = stream_id
        return stream_id

    def _load_streams(self) -> None:
        rows = self._conn().execute(
            "SELECT s.id, s.source_id, COALESCE(src.name, ''), s.namespace, s.name "
            "FROM streams s LEFT JOIN sources src ON src.id = s.source_id"
        )
        for row in rows:
            stream = Stream(*row)
            self._streams_by_id[stream.id] = stream

    def _stream(self, stream_id: int) -> Stream:
        stream = self._streams_by_id.get(stream_id)
        if stream is None:
            self._load_streams()
            stream = self._streams_by_id[stream_id]
        return stream

    def streams(self, flt: EventFilter) -> list[Stream]:
        self._load_streams()
        found = []
        for stream in self._streams_by_id.values():
            if flt.source is not None and stream.source != flt.source:
                continue
            if flt.namespace is not None and stream.namespace != flt.namespace:
                continue
            if flt.names and stream.name not in flt.names:
                continue
            found.append(stream)
        return sorted(found, key=lambda s: s.id)

    # -- writes ------------------------------------------------------------------------------
    def _existing(self, conn: sqlite3.Connection, drafts: Sequence[EventDraft]) -> Found:
        wanted = lookups(drafts)
        found: Found = {}
        for source_id, ids in wanted.stored.items():
            for part in _chunks(ids):
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    "SELECT message_id, id FROM events"
                    f" WHERE source_id=? AND message_id IN ({marks})",
                    (source_id, *part),
                )
                for message_id, event_id in rows:
                    found[(source_id, message_id)] = event_id
        for some in _chunks(list(wanted.derived)):
            rows = conn.execute(
                "SELECT id, source_id, received_at FROM events"
                f" WHERE message_id IS NULL AND id IN ({','.join('?' * len(some))})",
                some,
            )
            derived_repeats(wanted, rows, found)
        return found

    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        if side_writes:
            # Through SQLAlchemy, so the side writes' portable Core statements share the
            # events' transaction; the events still go straight to the driver.
            with self._write_tx() as tx:
                raw: sqlite3.Connection = tx.connection.driver_connection  # type: ignore[assignment]
                results = self._insert(raw, drafts)
                for write in side_writes:
                    write.apply(tx)
            return results
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

    def _insert(self, conn: sqlite3.Connection, drafts: Sequence[EventDraft]) -> list[InsertResult]:
        next_id = int(conn.execute(_NEXT_ID).fetchone()[0])
        existing = self._existing(conn, drafts)
        results: list[InsertResult] = []
        rows = []
        keyed: list[tuple[int, int, float]] = []
        for draft in drafts:
            if draft.message_id is not None:
                key = (draft.source_id, draft.message_id)
                original = existing.get(key)
                if original is not None:
                    results.append(InsertResult(original, True))
                    continue
                existing[key] = next_id
            stream_id = self._stream_id(conn, draft.source_id, draft.namespace, draft.name)
            rows.append(
                (
                    next_id,
                    draft.source_id,
                    stream_id,
                    draft.timestamp,
                    draft.received_at,
                    draft.value,
                    draft.message_id,
                    draft.properties,
                    draft.context,
                    draft.user_id,
                    draft.anonymous_id,
                    draft.session_id,
                )
            )
            keyed.append((stream_id, draft.timestamp, draft.value))
            results.append(InsertResult(next_id, False))
            next_id += 1
        if rows:
            insert_rows(conn, "events", _EVENT_COLUMN_NAMES, rows)
            tiers = accumulate(keyed)
            for sql, tier_rows in zip(_UPSERTS, tiers, strict=True):
                conn.execute(sql, (orjson.dumps(tier_rows),))
            # Late events void the figures of a sealed day (one row per stream and day).
            stale = stale_days(tiers[-1], today_us())
            if stale:
                conn.executemany(_FORGET_DAY, stale)
        return results

    # -- reads -------------------------------------------------------------------------------
    def _where(self, flt: EventFilter) -> tuple[list[str], list[object]] | None:
        """SQL conditions for ``flt``; None when no stream can match."""
        clauses: list[str] = []
        params: list[object] = []
        if flt.source is not None or flt.namespace is not None or flt.names:
            ids = [s.id for s in self.streams(flt)]
            if not ids:
                return None
            clauses.append(f"stream_id IN ({','.join(str(i) for i in ids)})")
        if flt.from_us is not None:
            clauses.append("ts >= ?")
            params.append(flt.from_us)
        if flt.to_us is not None:
            clauses.append("ts < ?")
            params.append(flt.to_us)
        if flt.user_id is not None:
            clauses.append("user_id = ?")
            params.append(flt.user_id)
        if flt.session_id is not None:
            clauses.append("session_id = ?")
            params.append(flt.session_id)
        for key, value in flt.props:
            clause, path = _prop_clause(key)
            clauses.append(clause)
            params.extend((path, path, value))
        return clauses, params

    def list_events(self, flt: EventFilter, after: int, limit: int) -> list[StoredEvent]:
        where = self._where(flt)
        if where is None:
            return []
        clauses, params = where
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE "
            + " AND ".join(["id > ?", *clauses])
            + " ORDER BY id LIMIT ?"
        )
        rows = self._conn().execute(sql, (after, *params, limit)).fetchall()
        out = []
        for row in rows:
            stream = self._stream(row[2])
            out.append(
                StoredEvent(
                    id=row[0],
                    message_id=derived_message_id(row[0], row[4]) if row[6] is None else row[6],
                    source=stream.source,
                    namespace=stream.namespace,
                    name=stream.name,
                    timestamp=row[3],
                    received_at=row[4],
                    value=row[5],
                    properties=row[7],
                    context=row[8],
                    user_id=row[9],
                    anonymous_id=row[10],
                    session_id=row[11],
                )
            )
        return out

    def rollup_rows(
        self, tier: int, stream_ids: Sequence[int], ranges: Sequence[tuple[int, int]]
    ) -> Iterator[RollupRow]:
        table = TIERS[tier][0].name
        conn = self._conn()
        for part in _chunks(stream_ids):
            marks = ",".join(str(int(i)) for i in part)
            sql = (
                f'SELECT stream_id, bucket, "count", "sum", "min", "max" FROM {table} '
                f"WHERE stream_id IN ({marks}) AND bucket >= ? AND bucket < ?"
            )
            for lo, hi in ranges:
                for row in conn.execute(sql, (lo, hi)):
                    yield RollupRow(*row)

    def rollup_totals(
        self, tier: int, stream_ids: Sequence[int], pieces: Sequence[tuple[int, int, int]]
    ) -> Iterator[RollupTotal]:
        # The pieces go in as one JSON parameter (no host-parameter limit), materialised so
        # their bounds are plain columns for the primary-key range search on each join.
        table = TIERS[tier][0].name
        conn = self._conn()
        for part in _chunks(stream_ids):
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

    def distinct_persons(
        self,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        if not stream_ids or not pieces:
            return
        filters, params = row_filters(self._where, flt)
        sql = self._scan_sql(stream_ids, filters).format(
            columns=f"p.k, count(*), count(DISTINCT {PERSON_SQL})", group="p.k"
        )
        for key, count, persons in self._conn().execute(sql, (json.dumps(pieces), *params)):
            yield BucketStat(key, count, persons)

    def value_percentile(
        self,
        q: float,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        # SQLite has no percentile function. Count each distinct value per key (a sort in
        # SQL, not in Python), then keep only the one or two values that straddle rank
        # floor(q * (n - 1)): Python sees two rows per bucket, not every event.
        if not stream_ids or not pieces:
            return
        filters, params = row_filters(self._where, flt)
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
        rows = self._conn().execute(sql, (json.dumps(pieces), *params, q, q)).fetchall()
        for key, group in itertools.groupby(rows, key=lambda row: row[0]):
            near = list(group)
            n = int(near[0][1])

            def at(rank: int, near: list[tuple[int, int, float, int, int]] = near) -> float:
                return next(v for _k, _n, v, first, upto in near if first <= rank < upto)

            position = q * (n - 1)
            low = math.floor(position)
            low_value, high_value = at(low), at(min(low + 1, n - 1))
            yield BucketStat(key, n, low_value + (high_value - low_value) * (position - low))

    def raw_rows(
        self,
        stream_ids: Sequence[int],
        ranges: Sequence[tuple[int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[RawRow]:
        filters, extra_params = row_filters(self._where, flt)
        conn = self._conn()
        for part in _chunks(stream_ids):
            marks = ",".join(str(int(i)) for i in part)
            sql = (
                "SELECT stream_id, ts, value, user_id, anonymous_id, properties FROM events "
                f"WHERE stream_id IN ({marks}) AND ts >= ? AND ts < ?{filters}"
            )
            for lo, hi in ranges:
                for row in conn.execute(sql, (lo, hi, *extra_params)):
                    yield RawRow(*row)

    def count_events(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM events").fetchone()[0])
