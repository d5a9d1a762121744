"""The de-duplication window's expiry: forget client message ids received before it.

Each step deletes one small batch in its own short transaction (the writer waits at most that
long for the write lock), the oldest day first; see storage/dedup.py for the window itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tidings.core.periodic import PeriodicPass
from tidings.storage.base import Storage
from tidings.storage.dedup import EXPIRE_BATCH

log = logging.getLogger("tidings.dedup")

#: Seconds between two passes (the window is counted in days), and before the first.
INTERVAL = 3600.0
FIRST_PASS_DELAY = 40.0
PAUSE = 0.02


def expire(
    storage: Storage, *, batch: int = EXPIRE_BATCH, pause: Callable[[], None] | None = None
) -> int:
    """Forget every client id received before the window; returns how many."""
    total = 0
    while deleted := storage.expire_message_ids(batch):
        total += deleted
        if pause is not None:
            pause()
    return total


class IdExpirer(PeriodicPass):
    """The background task that runs :func:`expire` every ``interval`` seconds."""

    name = "tidings-dedup-expiry"
    log = log

    def __init__(self, storage: Storage, interval: float = INTERVAL) -> None:
        super().__init__(storage, interval, FIRST_PASS_DELAY, PAUSE)

    def run_pass(self, pause: Callable[[], None]) -> int:
        return expire(self.storage, pause=pause)

    def describe(self, done: int, elapsed: float) -> str:
        return f"de-duplication window: forgot {done} message ids in {elapsed:.1f} s"
