"""Retention: delete events (and their rollups) older than a source's ``retention_days``,
or the global ``retention_days`` for sources without their own.

Work goes in small batches, each its own short transaction, with a pause between them, so
the ingest writer waits at most one batch for the database's write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from tidings.core.timeparse import now_us
from tidings.storage.base import EventFilter, Storage

log = logging.getLogger("tidings.retention")

DAY_US = 86_400_000_000
#: Events deleted per transaction, and the pause between two batches (seconds).
BATCH = 500
PAUSE = 0.05
#: Seconds between two background passes (retention is counted in days).
INTERVAL = 3600.0
FIRST_PASS_DELAY = 30.0


def cutoffs(storage: Storage, global_days: int, now: int | None = None) -> dict[int, int]:
    """Source id -> timestamp (us) before which its events expire; sources keeping all are
    left out. Deleted sources no longer have their own setting and fall under the global one."""
    now = now_us() if now is None else now
    own = {s.id: s.retention_days for s in storage.list_sources()}
    found: dict[int, int] = {}
    for source_id in {s.source_id for s in storage.streams(EventFilter())}:
        days = own.get(source_id) or global_days
        if days > 0:
            found[source_id] = now - days * DAY_US
    return found


def prune(
    storage: Storage,
    global_days: int,
    *,
    batch: int = BATCH,
    pause: Callable[[], None] | None = None,
    now: int | None = None,
) -> int:
    """One full pass over every source; returns the number of events deleted."""
    total = 0
    for source_id, before in sorted(cutoffs(storage, global_days, now).items()):
        while True:
            deleted = storage.prune_events(source_id, before, batch)
            total += deleted
            if deleted < batch:
                break
            if pause is not None:
                pause()
    return total


class _Stopped(Exception):
    """The server is stopping: end the pass between two batches."""


class Pruner:
    """The background task that runs :func:`prune` every ``interval`` seconds."""

    def __init__(self, storage: Storage, global_days: int, interval: float = INTERVAL) -> None:
        self.storage = storage
        self.global_days = global_days
        self.interval = interval
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._pass: asyncio.Future[int] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tidings-pruner")

    async def stop(self) -> None:
        """Cancel the schedule and wait for a running pass to end after its current batch
        (storage closes next, under its feet otherwise)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pass is not None:
            with contextlib.suppress(Exception):
                await self._pass

    def _pause(self) -> None:
        if self._stopping.wait(PAUSE):
            raise _Stopped

    async def run_once(self) -> int:
        self._pass = asyncio.ensure_future(
            asyncio.to_thread(prune, self.storage, self.global_days, pause=self._pause)
        )
        return await asyncio.shield(self._pass)

    async def _run(self) -> None:
        await asyncio.sleep(min(FIRST_PASS_DELAY, self.interval))
        while True:
            started = time.monotonic()
            try:
                deleted = await self.run_once()
            except _Stopped:
                return
            except Exception:  # a bad pass must not end retention for good
                log.exception("retention pass failed")
            else:
                if deleted:
                    elapsed = time.monotonic() - started
                    log.info("retention: deleted %d events in %.1f s", deleted, elapsed)
            await asyncio.sleep(self.interval)
