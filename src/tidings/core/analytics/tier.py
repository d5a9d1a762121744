"""The analytics tier: :class:`Tier` feeds the columnar copy in a background thread and
answers SQL over it (:class:`tidings.core.event_sql.EventSQL`).

Feeding never runs on the writer's commit path: the after-commit step only sets an event
(:meth:`Tier.nudge`); the feeder thread reads the committed rows above the high-water mark
from the system of record, in id order, and applies them with the new mark in one DuckDB
transaction. So a crash or ``kill -9`` at any point leaves the copy at some mark with exactly
the rows up to it, and the next start carries on from there.

Answers are exact while the copy lags: each question reads the copy's snapshot (rows up to
its mark) plus the matching committed rows above the mark, straight from the system of record.

Deletes (retention, erasure, ``DELETE /api/v1/events``) reach the copy by id through
:meth:`Storage.on_delete`, under the same lock as feeding, so a row read for feeding before
its delete committed is removed after it lands. A delete the copy missed (a crash between the
two commits, or another process deleting) shows up as a count mismatch, checked at start and
every :data:`CHECK_INTERVAL` seconds, and is repaired block by block.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tidings.analytics.columnar import ColumnarStore, TierBusy, columns_to_arrow, prop_ref
from tidings.analytics.reader import snapshot
from tidings.core.query import iter_all
from tidings.model.records import EventFilter, StoredEvent
from tidings.storage import analytics_feed
from tidings.storage.base import Storage

__all__ = ["Tier", "TierBusy", "open_tier", "rebuild", "tier_path"]

log = logging.getLogger("tidings.analytics")

#: Events read from the system of record and applied per DuckDB transaction.
CHUNK = 20_000
#: Longest wait between two feeding rounds when nothing nudges (seconds).
IDLE_WAIT = 1.0
#: Pause after a nudge so one round applies many commits (seconds).
FEED_PAUSE = 0.25
#: The feeder's share of the time while it catches up (see Tier.catch_up).
FEED_DUTY = 0.25
#: Seconds between two refreshes of the aliases copy by the feeder (questions refresh it
#: themselves when it changed).
ALIAS_INTERVAL = 5.0
#: Seconds between two checks of the copy's event count against the system of record.
CHECK_INTERVAL = 30.0
#: A tail up to this long is read by id and filtered in DuckDB.
TAIL_BY_ID = 5_000
#: Ids per block when repairing the copy after a missed delete.
BLOCK = 65_536

Progress = Callable[[int], None]
Query = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]


def tier_path(directory: str) -> str:
    return str(Path(directory) / "analytics.duckdb")


class Tier:
    """The columnar copy of ``storage``'s events at ``path`` (created if missing)."""

    def __init__(
        self,
        storage: Storage,
        path: str,
        memory_limit: str = "256MB",
        threads: int = 1,
        chunk: int = CHUNK,
    ) -> None:
        self.storage = storage
        self.store = ColumnarStore(path, memory_limit, threads)
        self.chunk = chunk
        # Feeding and deleting exclude each other (see the module docstring).
        self._lock = threading.Lock()
        self._nudged = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._aliases: tuple[int, int] | None = None
        self._checked = 0.0
        storage.on_delete(self._on_delete)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Repair the copy if it missed deletes, then feed it in a background thread."""
        self.check()
        self._thread = threading.Thread(target=self._run, name="tidings-analytics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.store.close()

    def nudge(self, *_args: Any) -> None:
        """The after-commit step: wake the feeder (cheap; never blocks the writer)."""
        self._nudged.set()

    def _run(self) -> None:
        synced = 0.0
        while not self._stopping.is_set():
            self._nudged.wait(IDLE_WAIT)
            # Let commits gather: one DuckDB transaction (and WAL sync) per round, not per
            # commit. Answers do not wait for it: they read the tail.
            if self._stopping.wait(FEED_PAUSE):
                return
            self._nudged.clear()
            try:
                began = time.monotonic()
                self.catch_up(duty=FEED_DUTY)
                # Rounds keep to the duty share too, however many commits each finds.
                if self._stopping.wait((time.monotonic() - began) * (1 / FEED_DUTY - 1)):
                    return
                if time.monotonic() - synced > ALIAS_INTERVAL:
                    self.sync_aliases()
                    synced = time.monotonic()
                if time.monotonic() - self._checked > CHECK_INTERVAL:
                    self.check()
            except Exception:
                log.exception("analytics: feeding failed; retrying")
                self._stopping.wait(IDLE_WAIT)

    # -- feeding -----------------------------------------------------------------------------
    def catch_up(
        self, progress: Progress | None = None, limit: int | None = None, duty: float = 1.0
    ) -> int:
        """Apply every committed event above the mark (at most ``limit``); returns how many.
        With ``duty`` < 1, rest after each chunk so feeding takes at most that share of the
        time (and of the GIL): ingest keeps its pace and the copy catches up when it slows."""
        done = 0
        while limit is None or done < limit:
            began = time.monotonic()
            size = self.chunk if limit is None else min(self.chunk, limit - done)
            with self._lock:
                hwm = self.store.hwm()
                columns = analytics_feed.rows_after(self.storage, hwm, size)
                ids = columns["id"]
                if ids:
                    self.store.apply(columns_to_arrow(columns), int(ids[-1]))  # type: ignore[call-overload]
            done += len(ids)
            if progress is not None and ids:
                progress(len(ids))
            if len(ids) < size or self._stopping.is_set():
                break
            if duty < 1.0 and self._stopping.wait((time.monotonic() - began) * (1 / duty - 1)):
                break
        return done

    def sync_aliases(self) -> None:
        """Copy ``person_aliases`` when it changed since the last copy."""
        links = analytics_feed.alias_state(self.storage.engine)
        if links != self._aliases:
            with self._lock:
                self.store.replace_aliases(analytics_feed.all_aliases(self.storage.engine))
            self._aliases = links

    def _on_delete(self, ids: Sequence[int]) -> None:
        try:
            with self._lock:
                self.store.delete_ids(ids)
        except Exception:
            # The count check repairs it; until then answers may still hold these rows.
            log.exception("analytics: mirroring a delete failed")
            self._checked = 0.0
            self._nudged.set()

    def check(self) -> int:
        """Compare the copy with the system of record up to the mark and repair differing
        id blocks (deleted or copied-in rows); returns the rows removed or added."""
        with self._lock:
            self._checked = time.monotonic()
            hwm = self.store.hwm()
            engine = self.storage.engine
            if self.store.count() == analytics_feed.count_upto(engine, hwm):
                return 0
            ours = self.store.block_counts(BLOCK)
            theirs = analytics_feed.block_counts(engine, hwm, BLOCK)
            fixed = 0
            for block in sorted(set(ours) | set(theirs)):
                if ours.get(block, 0) != theirs.get(block, 0):
                    fixed += self._repair(block * BLOCK, min((block + 1) * BLOCK, hwm + 1))
            log.warning("analytics: repaired %d rows that differed from the events", fixed)
            return fixed

    def _repair(self, lo: int, hi: int) -> int:
        ours = set(self.store.ids_between(lo, hi))
        theirs = set(analytics_feed.ids_between(self.storage.engine, lo, hi))
        gone = sorted(ours - theirs)
        self.store.delete_ids(gone)
        missing = theirs - ours
        if missing:
            rows = []
            for event in iter_all(self.storage, EventFilter(), after=lo - 1):
                if event.id >= hi:
                    break
                if event.id in missing:
                    rows.append(event)
            self.store.apply(rows, self.store.hwm())
        return len(gone) + len(missing)

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
        return self.run(flt, [(sql, params)])[0]

    def run(
        self, flt: EventFilter, statements: Sequence[tuple[str, Sequence[object]]]
    ) -> list[list[tuple[Any, ...]]]:
        """Each statement's rows, all over one snapshot of ``events`` restricted to ``flt``."""
        with self.session(flt) as query:
            return [query(sql, params) for sql, params in statements]

    @contextmanager
    def session(self, flt: EventFilter) -> Iterator[Query]:
        """A function answering SQL over one snapshot of ``events`` restricted to ``flt``
        (several statements, each may depend on the one before, all over the same rows)."""
        self.sync_aliases()
        with snapshot(self.store) as reader:
            reader.load_tail(self._tail(flt, reader.hwm))

            def query(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
                return reader.query(flt, sql, params)

            yield query

    def _tail(self, flt: EventFilter, hwm: int) -> list[StoredEvent]:
        """The committed events above ``hwm`` that may match ``flt``. Read by id alone (the
        primary key: a few rows at most when the copy keeps up), and the view filters them
        like the copy's rows; a long tail (the copy catching up) is filtered in the system
        of record instead, so only matching rows cross over."""
        rows = self.storage.list_events(EventFilter(), hwm, TAIL_BY_ID + 1)
        if len(rows) <= TAIL_BY_ID:
            return rows
        return list(iter_all(self.storage, flt, after=hwm))


def open_tier(storage: Storage, directory: str, memory_limit: str, threads: int) -> Tier | None:
    """The tier kept in ``directory`` (created if missing), checked and feeding; None when
    another process holds it (several SQLite workers: the first one to start keeps the
    tier, the others answer from the system of record)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    try:
        tier = Tier(storage, tier_path(directory), memory_limit, threads)
    except TierBusy as exc:
        log.warning("analytics: tier held by another process, answering without it (%s)", exc)
        return None
    tier.start()
    return tier


def rebuild(
    storage: Storage,
    directory: str,
    memory_limit: str,
    threads: int,
    progress: Progress | None = None,
) -> int:
    """Build the copy in ``directory`` afresh from the system of record (the old file goes,
    so keys are promoted again by what is stored now); returns the events copied.

    Raises:
        TierBusy: a running server holds the file.
    """
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = tier_path(directory)
    fresh = path + ".rebuilding"
    for leftover in (fresh, fresh + ".wal"):
        Path(leftover).unlink(missing_ok=True)
    # Fail before any work when a server holds the current file.
    ColumnarStore(path, memory_limit, threads).close()
    tier = Tier(storage, fresh, memory_limit, threads)
    try:
        done = tier.catch_up(progress)
        tier.sync_aliases()
        tier.store.checkpoint()
    finally:
        tier.stop()
    Path(path + ".wal").unlink(missing_ok=True)
    Path(fresh).replace(path)
    return done
