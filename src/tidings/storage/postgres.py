"""The PostgreSQL engine (psycopg 3), for many server processes on many hosts.

Writers in every process serialise on one transaction-scoped advisory lock, so event ids
(from ``events_id_seq``) increase in commit order across processes, as live readers and
cursors need, and the message-id lookup for dedup sees every other process's commits. The
unique index on (source_id, message_id) stays the last word: a duplicate can never be stored.
Raw rows go in with COPY and each rollup tier with one ``unnest`` upsert, in one transaction.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from sqlalchemy import ColumnElement, Text, cast, create_engine, text
from sqlalchemy.dialects.postgresql import JSONB
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
from tidings.storage.day_stats import FORGET_SQL, DayStats, stale_days, today_us
from tidings.storage.dedup import Found, derived_repeats, lookups
from tidings.storage.entities import EntityTables
from tidings.storage.installation import installation_id
from tidings.storage.maintenance import Maintenance
from tidings.storage.rollups import accumulate
from tidings.storage.schema import TIERS, events
from tidings.storage.transfer import tables

_EVENT_COLUMNS = (
    "id, source_id, stream_id, ts, received_at, value, message_id, properties, context, "
    "user_id, anonymous_id, session_id"
)
_COPY_EVENTS = f"COPY events ({_EVENT_COLUMNS}) FROM STDIN"
# Rollup rows are COPYed into a session temp table (emptied at every commit), then folded
# into each tier with one upsert: binding large arrays costs more client time than COPY.
_ROLLUP_IN = (
    "CREATE TEMP TABLE IF NOT EXISTS tidings_rollup_in (tier smallint, stream_id bigint, "
    "bucket bigint, n bigint, total float8, low float8, high float8) ON COMMIT DELETE ROWS"
)
_COPY_ROLLUPS = "COPY tidings_rollup_in FROM STDIN"
_UPSERT = (
    'INSERT INTO {table} AS t (stream_id, bucket, "count", "sum", "min", "max") '
    "SELECT stream_id, bucket, n, total, low, high FROM tidings_rollup_in WHERE tier = {tier} "
    'ON CONFLICT (stream_id, bucket) DO UPDATE SET "count" = t."count" + excluded."count", '
    '"sum" = t."sum" + excluded."sum", "min" = LEAST(t."min", excluded."min"), '
    '"max" = GREATEST(t."max", excluded."max")'
)
_UPSERTS = tuple(_UPSERT.format(table=t.name, tier=i) for i, (t, _) in enumerate(TIERS))
_MAX_ID = "COALESCE((SELECT MAX(id) FROM {table}), 0)"
_FORGET_DAY = FORGET_SQL.format(p="%s")
#: Key of the advisory lock every writer takes for its transaction ("tidings" in ASCII).
WRITE_LOCK = 0x7469_6469_6E67_73


#: Seconds libpq waits for a connection to be established, unless the URL sets
#: ``connect_timeout`` itself. Without one, a server that accepts the TCP connection and then
#: never answers (hung, or behind a dead proxy) blocks start-up and shutdown indefinitely.
CONNECT_TIMEOUT = 10


def _urls(url: str) -> tuple[str, str]:
    """(libpq URL for psycopg, SQLAlchemy URL naming the psycopg driver)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError(f"not a postgresql:// URL: {url!r}")
    if "connect_timeout=" not in rest:
        rest += ("&" if "?" in rest else "?") + f"connect_timeout={CONNECT_TIMEOUT}"
    return f"postgresql://{rest}", f"postgresql+psycopg://{rest}"


class PostgresStorage(Maintenance, DayStats, EntityTables, Storage):
    """Storage in a PostgreSQL database shared by any number of processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conninfo, sa_url = _urls(url)
        self._local = threading.local()
        self._connections: list[psycopg.Connection[tuple[object, ...]]] = []
        self._lock = threading.Lock()
        self._closed = True
        self._streams_by_key: dict[tuple[int, str, str], int] = {}
        self._streams_by_id: dict[int, Stream] = {}
        self.engine: Engine = create_engine(sa_url, pool_pre_ping=True)
        self._installation: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def startup(self) -> None:
        try:
            migrate.upgrade(self.engine)
        except Exception as exc:  # noqa: BLE001 - any driver error means "cannot start"
            raise Unavailable(f"cannot open PostgreSQL database: {exc}") from None
        self._closed = False

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self.engine.dispose()

    def _conn(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._closed:
            raise Unavailable("storage is closed. Did the app lifespan run?")
        conn: psycopg.Connection[tuple[object, ...]] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = psycopg.connect(self.conninfo, autocommit=True)
            conn.execute(_ROLLUP_IN)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        """A connection from the engine's bounded pool, for reads from request threads (a
        connection per thread would let every process hold dozens against max_connections).
        Only the writer thread keeps one of its own."""
        if self._closed:
            raise Unavailable("storage is closed. Did the app lifespan run?")
        raw = self.engine.raw_connection()
        try:
            yield raw.driver_connection  # type: ignore[misc]
        finally:
            raw.close()

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute("SELECT 1").fetchone()

    @contextmanager
    def sole_pass(self, name: str) -> Iterator[bool]:
        # A session-level advisory lock on a connection held for the pass: the database lets
        # go of it if this process dies mid-pass. Advisory locks are server-wide, so the key
        # names the installation too: other installations (other schemas or databases on
        # the same server) run their own passes.
        if self._installation is None:
            self._installation = installation_id(self.engine)
        digest = hashlib.sha256(f"tidings {self._installation} {name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)  # a bigint, like the lock's
        with self.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def reset_sequences(self) -> None:
        with self.engine.begin() as conn:
            for table in tables(self.engine):
                if "id" not in table.c or table.name == "events":
                    continue
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
                ).scalar()
                if seq:
                    conn.execute(
                        text(f"SELECT setval(:s, {_MAX_ID.format(table=table.name)} + 1, false)"),
                        {"s": seq},
                    )
            conn.execute(
                text(
                    "SELECT setval('events_id_seq', GREATEST("
                    + _MAX_ID.format(table="events")
                    + ", COALESCE((SELECT value FROM counters WHERE name = 'events_id'), 0))"
                    " + 1, false)"
                )
            )

    @contextmanager
    def _write_tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            # Deletes share the writers' lock, so they never interleave with an id hand-out.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
            yield conn

    def _mark_high_water(self, conn: Connection) -> None:
        """Ids come from a sequence, which never goes back: nothing to remember."""

    def _after_delete(self) -> None:
        self._streams_by_key.clear()

    def _prop_condition(self, key: str, value: str) -> ColumnElement[bool]:
        # properties->>'key' on the stored JSON text, as the list filter reads it.
        rendered = cast(events.c.properties, JSONB).op("->>", return_type=Text)(key)
        return rendered == value

    # -- streams -----------------------------------------------------------------------------
    def _stream_id(
        self, conn: psycopg.Connection[tuple[object, ...]], source_id: int, ns: str, name: str
    ) -> int:
        key = (source_id, ns, name)
        stream_id = self._streams_by_key.get(key)
        if stream_id is None:
            row = conn.execute(
                "INSERT INTO streams (source_id, namespace, name) VALUES (%s,%s,%s) "
                "ON CONFLICT DO NOTHING RETURNING id",
                key,
            ).fetchone()
            if row is None:
                row = conn.execute(
                    "SELECT id FROM streams WHERE source_id=%s AND namespace=%s AND name=%s", key
                ).fetchone()
            assert row is not None
            stream_id = int(row[0])  # type: ignore[call-overload]
            self._streams_by_key[key] = stream_id
        return stream_id

    def _load_streams(self) -> None:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT s.id, s.source_id, COALESCE(src.name, ''), s.namespace, s.name "
                "FROM streams s LEFT JOIN sources src ON src.id = s.source_id"
            ).fetchall()
        for row in rows:
            stream = Stream(*row)  # type: ignore[arg-type]
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
    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        try:
            if side_writes:
                # Through SQLAlchemy, so the side writes' portable Core statements share the
                # events' transaction; the events still go straight to the driver.
                with self._write_tx() as tx:
                    raw: psycopg.Connection[tuple[object, ...]] = tx.connection.driver_connection  # type: ignore[assignment]
                    raw.execute(_ROLLUP_IN)
                    results = self._insert(raw, drafts)
                    for write in side_writes:
                        write.apply(tx)
                return results
            conn = self._conn()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                return self._insert(conn, drafts)
        except BaseException:
            # Streams created in the rolled-back transaction do not exist.
            self._streams_by_key.clear()
            raise

    def _existing(
        self, conn: psycopg.Connection[tuple[object, ...]], drafts: Sequence[EventDraft]
    ) -> Found:
        wanted = lookups(drafts)
        found: Found = {}
        for source_id, ids in wanted.stored.items():
            rows = conn.execute(
                "SELECT message_id, id FROM events WHERE source_id=%s AND message_id = ANY(%s)",
                (source_id, ids),
            )
            for message_id, event_id in rows:
                found[(source_id, str(message_id))] = int(event_id)  # type: ignore[call-overload]
        if wanted.derived:
            unnamed = conn.execute(
                "SELECT id, source_id, received_at FROM events"
                " WHERE message_id IS NULL AND id = ANY(%s)",
                (list(wanted.derived),),
            )
            derived_repeats(wanted, unnamed, found)  # type: ignore[arg-type]
        return found

    def _insert(
        self, conn: psycopg.Connection[tuple[object, ...]], drafts: Sequence[EventDraft]
    ) -> list[InsertResult]:
        existing = self._existing(conn, drafts)
        keyed_ids = {(d.source_id, d.message_id) for d in drafts if d.message_id is not None}
        fresh = sum(1 for d in drafts if d.message_id is None) + len(keyed_ids - existing.keys())
        next_id = 0
        if fresh:
            row = conn.execute(
                "SELECT setval('events_id_seq', nextval('events_id_seq') + %s) - %s",
                (fresh - 1, fresh - 1),
            ).fetchone()
            assert row is not None
            next_id = int(row[0])  # type: ignore[call-overload]
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
            with conn.cursor() as cur, cur.copy(_COPY_EVENTS) as copy:
                for event_row in rows:
                    copy.write_row(event_row)
            tiers = accumulate(keyed)
            with conn.cursor() as cur, cur.copy(_COPY_ROLLUPS) as copy:
                for tier, tier_rows in enumerate(tiers):
                    for rollup_row in tier_rows:
                        copy.write_row((tier, *rollup_row))
            for sql in _UPSERTS:
                conn.execute(sql)
            # Late events void the figures of a sealed day (one row per stream and day).
            stale = stale_days(tiers[-1], today_us())
            if stale:
                with conn.cursor() as cur:
                    cur.executemany(_FORGET_DAY, stale)
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
            clauses.append("stream_id = ANY(%s)")
            params.append(ids)
        if flt.from_us is not None:
            clauses.append("ts >= %s")
            params.append(flt.from_us)
        if flt.to_us is not None:
            clauses.append("ts < %s")
            params.append(flt.to_us)
        if flt.user_id is not None:
            clauses.append("user_id = %s")
            params.append(flt.user_id)
        if flt.session_id is not None:
            clauses.append("session_id = %s")
            params.append(flt.session_id)
        for key, value in flt.props:
            # ->> renders true/false and numbers as JSON text, like the SQLite engine does.
            clauses.append("(properties::jsonb ->> %s) = %s")
            params.extend((key, value))
        return clauses, params

    def list_events(self, flt: EventFilter, after: int, limit: int) -> list[StoredEvent]:
        where = self._where(flt)
        if where is None:
            return []
        clauses, params = where
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE "
            + " AND ".join(["id > %s", *clauses])
            + " ORDER BY id LIMIT %s"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (after, *params, limit)).fetchall()
        out = []
        for row in rows:
            stream = self._stream(row[2])  # type: ignore[arg-type]
            out.append(
                StoredEvent(
                    id=row[0],  # type: ignore[arg-type]
                    message_id=(
                        derived_message_id(row[0], row[4])  # type: ignore[arg-type]
                        if row[6] is None
                        else row[6]
                    ),
                    source=stream.source,
                    namespace=stream.namespace,
                    name=stream.name,
                    timestamp=row[3],  # type: ignore[arg-type]
                    received_at=row[4],  # type: ignore[arg-type]
                    value=row[5],  # type: ignore[arg-type]
                    properties=row[7],  # type: ignore[arg-type]
                    context=row[8],  # type: ignore[arg-type]
                    user_id=row[9],  # type: ignore[arg-type]
                    anonymous_id=row[10],  # type: ignore[arg-type]
                    session_id=row[11],  # type: ignore[arg-type]
                )
            )
        return out

    def rollup_rows(
        self, tier: int, stream_ids: Sequence[int], ranges: Sequence[tuple[int, int]]
    ) -> Iterator[RollupRow]:
        table = TIERS[tier][0].name
        sql = (
            f'SELECT stream_id, bucket, "count", "sum", "min", "max" FROM {table} '
            "WHERE stream_id = ANY(%s) AND bucket >= %s AND bucket < %s"
        )
        ids = list(stream_ids)
        for lo, hi in ranges:
            with self._read() as conn:
                rows = conn.execute(sql, (ids, lo, hi)).fetchall()
            for row in rows:
                yield RollupRow(*row)  # type: ignore[arg-type]

    def rollup_totals(
        self, tier: int, stream_ids: Sequence[int], pieces: Sequence[tuple[int, int, int]]
    ) -> Iterator[RollupTotal]:
        table = TIERS[tier][0].name
        sql = (
            'SELECT p.k, r.stream_id, sum(r."count")::bigint, sum(r."sum"), min(r."min"), '
            'max(r."max") FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(k, lo, hi) '
            f"JOIN {table} r ON r.stream_id = ANY(%s) AND r.bucket >= p.lo AND r.bucket < p.hi "
            "GROUP BY p.k, r.stream_id"
        )
        if not pieces:
            return
        keys, los, his = (list(col) for col in zip(*pieces, strict=True))
        with self._read() as conn:
            rows = conn.execute(sql, (keys, los, his, list(stream_ids))).fetchall()
        for row in rows:
            yield RollupTotal(*row)  # type: ignore[arg-type]

    def _bucket_stats(
        self,
        columns: str,
        before: Sequence[object],
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None,
    ) -> Iterator[BucketStat]:
        if not stream_ids or not pieces:
            return
        filters, params = row_filters(self._where, flt)
        # One index range scan per piece: LATERAL with OFFSET 0 keeps the planner from
        # flattening it into a join that reads every row of the streams and filters them
        # against every piece (minutes instead of seconds on 10M events).
        sql = (
            f"SELECT p.k, count(*), {columns} "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(k, lo, hi) "
            "CROSS JOIN LATERAL (SELECT value, user_id, anonymous_id FROM events "
            f"WHERE stream_id = ANY(%s) AND ts >= p.lo AND ts < p.hi{filters} OFFSET 0) e "
            "GROUP BY p.k"
        )
        keys, los, his = (list(col) for col in zip(*pieces, strict=True))
        with self._read() as conn:
            rows = conn.execute(
                sql, (*before, keys, los, his, list(stream_ids), *params)
            ).fetchall()
        for row in rows:
            yield BucketStat(*row)  # type: ignore[arg-type]

    def distinct_persons(
        self,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        return self._bucket_stats(f"count(DISTINCT {PERSON_SQL})", (), stream_ids, pieces, flt)

    def value_percentile(
        self,
        q: float,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        # percentile_cont interpolates linearly between closest ranks, as percentile() does.
        return self._bucket_stats(
            "percentile_cont(%s) WITHIN GROUP (ORDER BY e.value)", (q,), stream_ids, pieces, flt
        )

    def raw_rows(
        self,
        stream_ids: Sequence[int],
        ranges: Sequence[tuple[int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[RawRow]:
        filters, extra_params = row_filters(self._where, flt)
        sql = (
            "SELECT stream_id, ts, value, user_id, anonymous_id, properties FROM events "
            f"WHERE stream_id = ANY(%s) AND ts >= %s AND ts < %s{filters}"
        )
        ids = list(stream_ids)
        # A raw scan can cover millions of rows: stream them through a server-side cursor
        # (pooled connections are not in autocommit mode, so it has its transaction).
        with self._read() as conn:
            for lo, hi in ranges:
                with conn.cursor(name="tidings_raw") as cur:
                    cur.itersize = 10_000
                    cur.execute(sql, (ids, lo, hi, *extra_params))
                    for row in cur:
                        yield RawRow(*row)  # type: ignore[arg-type]

    def count_events(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT count(*) FROM events").fetchone()
        assert row is not None and isinstance(row[0], int)
        return row[0]
