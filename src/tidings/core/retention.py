"""Retention: delete events (and their rollups) older than a source's ``retention_days``,
or the global ``retention_days`` for sources without their own.

Work goes in small batches, each its own short transaction, with a pause between them, so
the ingest writer waits at most one batch for the database's write lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tidings.core.periodic import PeriodicPass
from tidings.model.records import EventFilter
from tidings.model.timeparse import now_us
from tidings.storage.base import Storage

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


class Pruner(PeriodicPass):
    """The background task that runs :func:`prune` every ``interval`` seconds."""

    name = "tidings-pruner"
    log = log

    def __init__(self, storage: Storage, global_days: int, interval: float = INTERVAL) -> None:
        super().__init__(storage, interval, FIRST_PASS_DELAY, PAUSE)
        self.global_days = global_days

    def run_pass(self, pause: Callable[[], None]) -> int:
        return prune(self.storage, self.global_days, pause=pause)

    def describe(self, done: int, elapsed: float) -> str:
        return f"retention: deleted {done} events in {elapsed:.1f} s"
