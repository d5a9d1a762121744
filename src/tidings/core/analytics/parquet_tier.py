"""The analytics tier for PostgreSQL and several processes: day-partitioned Parquet files in a
shared directory (:mod:`tidings.analytics.parquet`), written by exactly one process and read
by all of them (docs/analytics.md, "PostgreSQL").

The writer is the process holding ``storage.sole_pass("analytics")`` (a PostgreSQL advisory
lock, given up when the process dies, so another takes over within :data:`TAKEOVER_WAIT`). It
appends the committed events above the manifest's mark, rewrites the files holding deleted
ids, and every :data:`CHECK_INTERVAL` seconds compares its row count with PostgreSQL's up to
the mark, so deletes made by other processes reach the files too.

Every process answers with DuckDB over the manifest's files plus the unapplied tail (events
above the mark, read from PostgreSQL), so answers are exact and fresh whoever writes. Ids this
process deleted are left out at read time until the writer's files no longer hold them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from tidings.analytics import parquet
from tidings.analytics.columnar import FIELD_NAMES, columns_to_arrow, prop_ref
from tidings.analytics.reader import Reader
from tidings.core.analytics.tier import TAIL_BY_ID, Query
from tidings.core.query import iter_all
from tidings.model.records import EventFilter, StoredEvent
from tidings.storage import analytics_feed
from tidings.storage.base import Storage

log = logging.getLogger("tidings.analytics")

CHUNK = 50_000
IDLE_WAIT = 1.0
#: Pause after a nudge so one round (one file per day touched) applies many commits.
FEED_PAUSE = 1.0
CHECK_INTERVAL = 30.0
#: Seconds between two attempts to become the writer.
TAKEOVER_WAIT = 5.0
BLOCK = 65_536
#: Seconds by which hosts' clocks may disagree (this process's deletes are left out at read
#: time until the writer's check began this long after them).
CLOCK_SKEW = 60.0


class ParquetTier:
    """:class:`tidings.core.event_sql.EventSQL` over the Parquet copy in ``directory``."""

    def __init__(
        self,
        storage: Storage,
        directory: str,
        memory_limit: str = "256MB",
        threads: int = 1,
        chunk: int = CHUNK,
    ) -> None:
        self.storage = storage
        self.chunk = chunk
        self.files = parquet.ParquetFiles(directory)
        self.memory_limit = memory_limit
        self.threads = threads
        self.writing = False
        self._lock = threading.Lock()
        self._nudged = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: (wall time, ids) of this process's deletes, left out at read time until the
        #: writer's files are known to lack them.
        self._deleted: list[tuple[float, frozenset[int]]] = []
        self._pending: list[int] = []
        self._aliases: tuple[int, int] | None = None
        self._alias_table = _aliases_table([])
        storage.on_delete(self._on_delete)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tidings-parquet", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def nudge(self, *_args: Any) -> None:
        self._nudged.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with self.storage.sole_pass("analytics") as mine:
                    if mine:
                        self._write_loop()
            except Exception:
                log.exception("analytics: the Parquet writer failed; retrying")
            self._stopping.wait(TAKEOVER_WAIT)

    def _write_loop(self) -> None:
        self.writing = True
        checked = 0.0
        try:
            while not self._stopping.is_set():
                if time.monotonic() - checked > CHECK_INTERVAL:
                    self.check()
                    checked = time.monotonic()
                self.round()
                self._nudged.wait(IDLE_WAIT)
                if self._stopping.wait(FEED_PAUSE):
                    return
                self._nudged.clear()
        finally:
            self.writing = False

    # -- writing (the writer only) -----------------------------------------------------------
    def round(self) -> int:
        """Apply this process's deletes and every committed event above the mark; returns
        the events appended. Only the holder of the ``analytics`` pass calls it."""
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            self.files.delete_ids(pending)
        done = 0
        while not self._stopping.is_set():
            hwm = self.files.manifest().hwm
            columns = analytics_feed.rows_after(self.storage, hwm, self.chunk)
            ids = columns["id"]
            if ids:
                self.files.append(columns_to_arrow(columns), int(ids[-1]))  # type: ignore[call-overload]
            done += len(ids)
            if len(ids) < self.chunk:
                break
        self.files.collect_garbage()
        return done

    def check(self) -> int:
        """Make the files agree with PostgreSQL up to the mark (deletes made anywhere);
        returns the rows removed. Only the holder of the ``analytics`` pass calls it."""
        began = time.time()
        manifest = self.files.manifest()
        engine = self.storage.engine
        gone: list[int] = []
        if manifest.rows != analytics_feed.count_upto(engine, manifest.hwm):
            ours = self._block_counts(manifest)
            theirs = analytics_feed.block_counts(engine, manifest.hwm, BLOCK)
            for block in sorted(ours):
                if ours[block] != theirs.get(block, 0):
                    lo, hi = block * BLOCK, (block + 1) * BLOCK
                    present = set(analytics_feed.ids_between(engine, lo, hi))
                    gone += [i for i in self._ids_between(manifest, lo, hi) if i not in present]
        removed = self.files.delete_ids(gone, checked=began)
        if removed:
            log.warning("analytics: removed %d rows deleted by other processes", removed)
        return removed

    def _block_counts(self, manifest: parquet.Manifest) -> dict[int, int]:
        rows = self._scan(manifest, f"SELECT id // {BLOCK}, count(*) FROM files GROUP BY 1")
        return {int(b): int(n) for b, n in rows}

    def _ids_between(self, manifest: parquet.Manifest, lo: int, hi: int) -> list[int]:
        rows = self._scan(manifest, f"SELECT id FROM files WHERE id >= {lo} AND id < {hi}")
        return [int(r[0]) for r in rows]

    def _scan(self, manifest: parquet.Manifest, sql: str) -> list[tuple[Any, ...]]:
        paths = manifest.files(self.files.directory, None, None)
        if not paths:
            return []
        con = self._connect()
        try:
            con.execute(f"CREATE VIEW files AS SELECT id FROM read_parquet({_list(paths)})")
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def _on_delete(self, ids: Sequence[int]) -> None:
        with self._lock:
            self._deleted.append((time.time(), frozenset(ids)))
            # Only the writer rewrites files; another process's deletes reach them through
            # the writer's count check.
            if self.writing:
                self._pending.extend(ids)
        self._nudged.set()

    # -- answering (EventSQL) ----------------------------------------------------------------
    def prop(self, key: str) -> str:
        return prop_ref(key)

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self.fetch_sync, flt, sql, params)

    def fetch_sync(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        with self.session(flt) as query:
            return query(sql, params)

    @contextmanager
    def session(self, flt: EventFilter) -> Iterator[Query]:
        """SQL over one view of ``events``: the manifest's files (the days ``flt`` spans)
        plus the committed events above its mark, restricted to ``flt``."""
        self._sync_aliases()
        with self._lock:
            manifest = parquet.read_manifest(self.files.directory)
            # Deletes from before the writer's last check are gone from its files (with a
            # margin: the check's time is the writer host's clock).
            self._deleted = [d for d in self._deleted if d[0] + CLOCK_SKEW >= manifest.checked]
            deleted = sorted(set().union(*(ids for _t, ids in self._deleted)))
        con = self._connect()
        try:
            paths = manifest.files(self.files.directory, flt.from_us, flt.to_us)
            con.register("deleted_ids", pa.table({"id": pa.array(deleted, pa.int64())}))
            con.execute("CREATE TABLE tier_meta (k VARCHAR, v BIGINT)")
            con.execute("INSERT INTO tier_meta VALUES ('hwm', ?)", [manifest.hwm])
            con.register("aliases_rows", self._alias_table)
            con.execute("CREATE TABLE tier_aliases AS SELECT * FROM aliases_rows")
            if paths:
                con.execute(
                    f"CREATE VIEW tier_events AS SELECT {', '.join(FIELD_NAMES)} "
                    f"FROM read_parquet({_list(paths)}) "
                    "WHERE id NOT IN (SELECT id FROM deleted_ids)"
                )
            else:
                con.register("no_rows", columns_to_arrow({name: [] for name in FIELD_NAMES}))
                con.execute("CREATE TABLE tier_events AS SELECT * FROM no_rows")
            reader = Reader(con, {}, _insert_sql)
            reader.load_tail(self._tail(flt, manifest.hwm))

            def query(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
                return reader.query(flt, sql, params)

            yield query
        finally:
            con.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(
            ":memory:", config={"memory_limit": self.memory_limit, "threads": self.threads}
        )

    def _tail(self, flt: EventFilter, hwm: int) -> list[StoredEvent]:
        rows = self.storage.list_events(EventFilter(), hwm, TAIL_BY_ID + 1)
        if len(rows) <= TAIL_BY_ID:
            return rows
        return list(iter_all(self.storage, flt, after=hwm))

    def _sync_aliases(self) -> None:
        state = analytics_feed.alias_state(self.storage.engine)
        if state != self._aliases:
            self._alias_table = _aliases_table(analytics_feed.all_aliases(self.storage.engine))
            self._aliases = state


def _aliases_table(links: Sequence[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {
            "alias": pa.array([a for a, _u in links], pa.string()),
            "user_id": pa.array([u for _a, u in links], pa.string()),
        }
    )


def _insert_sql(source: str, target: str) -> str:
    names = ", ".join(FIELD_NAMES)
    return f"INSERT INTO {target} ({names}) SELECT {names} FROM {source}"


def _list(paths: Sequence[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def open_parquet_tier(
    storage: Storage, directory: str, memory_limit: str, threads: int
) -> ParquetTier:
    tier = ParquetTier(storage, directory, memory_limit, threads)
    tier.start()
    return tier
