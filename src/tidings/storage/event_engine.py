"""The event paths both driver-level engines share; each engine supplies only its I/O.

SQLite and PostgreSQL write and read events straight through their drivers (sqlite3,
psycopg), which differ in parameter style, in how a list is matched (``IN (...)`` against
``= ANY(%s)``), in how ids are handed out and in how rows are bulk-written. Everything else
lives here once: the batch's plan and transaction shape, the stream cache, the list filter's
conditions, event listing and rollup reads.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tidings.model.events import EventDraft
from tidings.model.ids import derived_message_id
from tidings.model.records import (
    BucketStat,
    EventFilter,
    InsertResult,
    RawRow,
    RollupRow,
    StoredEvent,
    Stream,
)
from tidings.model.timeparse import now_us
from tidings.storage.base import SideWrite, row_filters
from tidings.storage.batch_plan import EVENT_COLUMNS_SQL, StreamKey, plan_batch
from tidings.storage.dedup import (
    EXPIRE_SQL,
    Found,
    day_of,
    derived_repeats,
    lookups,
    new_ids,
)
from tidings.storage.rollups import TierRow
from tidings.storage.schema import TIERS

_STREAMS = (
    "SELECT s.id, s.source_id, COALESCE(src.name, ''), s.namespace, s.name "
    "FROM streams s LEFT JOIN sources src ON src.id = s.source_id"
)


class Driver(Protocol):
    """What the shared code asks of a driver connection (sqlite3's and psycopg's agree)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...


C = TypeVar("C", bound=Driver)
#: ``(key, lo, hi)`` pieces of the bucketed reads (see :meth:`Storage.distinct_persons`).
Pieces = Sequence[tuple[int, int, int]]
#: Half-open ``(lo, hi)`` ranges of times or buckets.
Ranges = Sequence[tuple[int, int]]
#: The per-row filters of a read: `` AND ...`` SQL and its parameters (base.row_filters).
RowFilters = tuple[str, list[object]]


class EventEngine(Generic[C]):
    """Mixin: ``insert_batch``, the stream cache and the event reads over an engine's I/O."""

    #: The driver's parameter mark.
    _mark: str
    _streams_by_key: dict[StreamKey, int]
    _streams_by_id: dict[int, Stream]
    dedup_window_days: int

    # -- what an engine supplies -------------------------------------------------------------
    @abstractmethod
    def _write_tx(self) -> AbstractContextManager[Connection]: ...

    @abstractmethod
    def _insert_alone(self, drafts: Sequence[EventDraft]) -> list[InsertResult]:
        """Insert a batch without side writes on the engine's own writer connection."""

    @abstractmethod
    def _driver(self, tx: Connection) -> C:
        """The driver connection under a SQLAlchemy write transaction, ready for _insert."""

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[object]) -> Sequence[Sequence[Any]]:
        """All rows of a read, on a reading connection."""

    @abstractmethod
    def _parts(self, items: Sequence[Any]) -> Iterable[Sequence[Any]]:
        """``items`` in the pieces one list match may hold; none when there are no items."""

    @abstractmethod
    def _in_ids(self, column: str, ids: Sequence[int]) -> tuple[str, list[object]]:
        """SQL and parameters matching ``column`` against integer ids."""

    @abstractmethod
    def _in_values(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        """SQL and parameters matching ``column`` against any values."""

    @abstractmethod
    def _prop_clause(self, key: str, value: str) -> tuple[str, list[object]]:
        """SQL and parameters: property ``key`` renders as ``value`` (JSON text for true,
        false and numbers)."""

    @abstractmethod
    def _scan(self, sql: str, param_sets: list[tuple[object, ...]]) -> Iterator[Sequence[Any]]:
        """The rows of ``sql`` for each parameter set in turn, streamed (a raw scan can
        cover millions of rows)."""

    @abstractmethod
    def _persons(
        self, stream_ids: Sequence[int], pieces: Pieces, rows: RowFilters
    ) -> Iterator[BucketStat]:
        """:meth:`Storage.distinct_persons` for some streams and pieces, with the per-row
        filters (`` AND ...`` SQL and its parameters)."""

    @abstractmethod
    def _percentile(
        self, q: float, stream_ids: Sequence[int], pieces: Pieces, rows: RowFilters
    ) -> Iterator[BucketStat]:
        """:meth:`Storage.value_percentile`, as :meth:`_persons`."""

    @abstractmethod
    def _first_id(self, conn: C, drafts: Sequence[EventDraft], existing: Found) -> int:
        """Hand out consecutive ids for the batch's new events (as many as
        :func:`~tidings.storage.batch_plan.fresh_count` says, if the engine must know);
        return the first."""

    @abstractmethod
    def _new_stream(self, conn: C, key: StreamKey) -> int:
        """The id of the stream ``key``, created if missing."""

    @abstractmethod
    def _write_events(self, conn: C, rows: list[tuple[object, ...]]) -> None: ...

    @abstractmethod
    def _write_message_ids(self, conn: C, rows: list[tuple[object, ...]]) -> None:
        """Insert ``message_ids`` rows (dedup.MESSAGE_ID_COLUMNS order)."""

    @abstractmethod
    def _write_rollups(self, conn: C, tiers: list[list[TierRow]]) -> None:
        """Add each tier's rows to its rollup table (upsert: sums add up, bounds widen)."""

    @abstractmethod
    def _forget_days(self, conn: C, stale: list[tuple[int, int]]) -> None: ...

    # -- writes ------------------------------------------------------------------------------
    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        try:
            if not side_writes:
                return self._insert_alone(drafts)
            # Through SQLAlchemy, so the side writes' portable Core statements share the
            # events' transaction; the events still go straight to the driver.
            with self._write_tx() as tx:
                results = self._insert(self._driver(tx), drafts)
                for write in side_writes:
                    write.apply(tx)
            return results
        except BaseException:
            # Streams created in the rolled-back transaction do not exist.
            self._streams_by_key.clear()
            raise

    def _insert(self, conn: C, drafts: Sequence[EventDraft]) -> list[InsertResult]:
        """Plan and write one batch inside the caller's write transaction."""
        existing = self._existing(conn, drafts)
        next_id = self._first_id(conn, drafts, existing)
        plan = plan_batch(
            drafts,
            existing,
            next_id,
            self._streams_by_key,
            lambda key: self._new_stream(conn, key),
        )
        if plan.rows:
            self._write_events(conn, plan.rows)
            remembered = new_ids(plan.rows)
            if remembered:
                self._write_message_ids(conn, remembered)
            self._write_rollups(conn, plan.tiers)
            if plan.stale:
                self._forget_days(conn, plan.stale)
        return plan.results

    def _today(self) -> int:
        """Today's UTC day: ids received before the window that ends today expire."""
        return day_of(now_us())

    def _existing(self, conn: C, drafts: Sequence[EventDraft]) -> Found:
        m = self._mark
        wanted = lookups(drafts)
        found: Found = {}
        for (source_id, day), ids in wanted.stored.items():
            first = day - self.dedup_window_days
            for part in self._parts(ids):
                clause, params = self._in_values("message_id", part)
                rows = conn.execute(
                    f"SELECT message_id, event_id, day FROM message_ids "
                    f"WHERE source_id = {m} AND {clause}",
                    (source_id, *params),
                ).fetchall()
                for message_id, event_id, stored_day in rows:
                    if stored_day >= first:
                        found[(source_id, str(message_id))] = int(event_id)
                    else:
                        # Received before the window and not expired yet: the new event
                        # takes its place.
                        conn.execute(
                            f"DELETE FROM message_ids WHERE source_id = {m} AND message_id = {m}",
                            (source_id, message_id),
                        )
        for some in self._parts(list(wanted.derived)):
            clause, params = self._in_values("id", some)
            rows = conn.execute(
                f"SELECT id, source_id, received_at FROM events"
                f" WHERE message_id IS NULL AND {clause}",
                params,
            )
            derived_repeats(wanted, rows, found)
        return found

    def expire_message_ids(self, limit: int) -> int:
        """Forget up to ``limit`` client ids stored before the window, the oldest day first;
        returns how many (0: nothing left to forget)."""
        first = self._today() - self.dedup_window_days
        with self._write_tx() as tx:
            return int(tx.execute(text(EXPIRE_SQL), {"first": first, "n": limit}).rowcount)

    # -- streams -----------------------------------------------------------------------------
    def _after_delete(self) -> None:
        self._streams_by_key.clear()

    def _load_streams(self) -> None:
        for row in self._fetch(_STREAMS, ()):
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

    # -- reads -------------------------------------------------------------------------------
    def _where(self, flt: EventFilter) -> tuple[list[str], list[object]] | None:
        """SQL conditions for ``flt``; None when no stream can match."""
        m = self._mark
        clauses: list[str] = []
        params: list[object] = []
        if flt.source is not None or flt.namespace is not None or flt.names:
            ids = [s.id for s in self.streams(flt)]
            if not ids:
                return None
            clause, more = self._in_ids("stream_id", ids)
            clauses.append(clause)
            params.extend(more)
        for column, op, value in (
            ("ts", ">=", flt.from_us),
            ("ts", "<", flt.to_us),
            ("user_id", "=", flt.user_id),
            ("session_id", "=", flt.session_id),
        ):
            if value is not None:
                clauses.append(f"{column} {op} {m}")
                params.append(value)
        for key, value in flt.props:
            clause, more = self._prop_clause(key, value)
            clauses.append(clause)
            params.extend(more)
        return clauses, params

    def list_events(self, flt: EventFilter, after: int, limit: int) -> list[StoredEvent]:
        where = self._where(flt)
        if where is None:
            return []
        clauses, params = where
        m = self._mark
        sql = (
            f"SELECT {EVENT_COLUMNS_SQL} FROM events WHERE "
            + " AND ".join([f"id > {m}", *clauses])
            + f" ORDER BY id LIMIT {m}"
        )
        out = []
        for row in self._fetch(sql, (after, *params, limit)):
            event_id, _source_id, stream_id, ts, received_at, value, message_id, *rest = row
            stream = self._stream(stream_id)
            out.append(
                StoredEvent(
                    id=event_id,
                    message_id=(
                        derived_message_id(event_id, received_at)
                        if message_id is None
                        else message_id
                    ),
                    source=stream.source,
                    namespace=stream.namespace,
                    name=stream.name,
                    timestamp=ts,
                    received_at=received_at,
                    value=value,
                    properties=rest[0],
                    context=rest[1],
                    user_id=rest[2],
                    anonymous_id=rest[3],
                    session_id=rest[4],
                )
            )
        return out

    def rollup_rows(
        self, tier: int, stream_ids: Sequence[int], ranges: Ranges
    ) -> Iterator[RollupRow]:
        table = TIERS[tier][0].name
        m = self._mark
        for part in self._parts(stream_ids):
            clause, params = self._in_ids("stream_id", part)
            sql = (
                f'SELECT stream_id, bucket, "count", "sum", "min", "max" FROM {table} '
                f"WHERE {clause} AND bucket >= {m} AND bucket < {m}"
            )
            for lo, hi in ranges:
                for row in self._fetch(sql, (*params, lo, hi)):
                    yield RollupRow(*row)

    def raw_rows(
        self, stream_ids: Sequence[int], ranges: Ranges, flt: EventFilter | None = None
    ) -> Iterator[RawRow]:
        filters, extra = row_filters(self._where, flt)
        m = self._mark
        for part in self._parts(stream_ids):
            clause, params = self._in_ids("stream_id", part)
            sql = (
                "SELECT stream_id, ts, value, user_id, anonymous_id, properties FROM events "
                f"WHERE {clause} AND ts >= {m} AND ts < {m}{filters}"
            )
            for row in self._scan(sql, [(*params, lo, hi, *extra) for lo, hi in ranges]):
                yield RawRow(*row)

    def distinct_persons(
        self, stream_ids: Sequence[int], pieces: Pieces, flt: EventFilter | None = None
    ) -> Iterator[BucketStat]:
        if stream_ids and pieces:
            yield from self._persons(stream_ids, pieces, row_filters(self._where, flt))

    def value_percentile(
        self, q: float, stream_ids: Sequence[int], pieces: Pieces, flt: EventFilter | None = None
    ) -> Iterator[BucketStat]:
        if stream_ids and pieces:
            yield from self._percentile(q, stream_ids, pieces, row_filters(self._where, flt))

    def count_events(self) -> int:
        return int(self._fetch("SELECT count(*) FROM events", ())[0][0])
