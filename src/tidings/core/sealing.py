"""Sealing: store the figures of every (stream, UTC day) that lies wholly in the past, so
distinct users and percentiles read one row per day instead of every event
(see storage/day_stats.py).

One stream-day per transaction (a day of one busy stream is some 10,000 rows: tens of ms
under the writers' lock), newest day first: recent days are the ones dashboards ask for, and
a day voided by a late event (usually yesterday's) comes back before old history is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tidings.core.periodic import PeriodicPass
from tidings.model.timeparse import now_us
from tidings.storage.base import Storage

log = logging.getLogger("tidings.sealing")

#: Seconds between two background passes, before the first, and between two days sealed.
INTERVAL = 300.0
FIRST_PASS_DELAY = 20.0
PAUSE = 0.02
#: A day is sealed this long after it ended (microseconds): a writer in another process whose
#: clock lags by less still sees the day as past and voids it when a late event comes in.
GRACE_US = 60_000_000
PAGE = 200


def seal(
    storage: Storage,
    *,
    now: int | None = None,
    pause: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Seal every unsealed past day; returns the number of stream-days sealed."""
    before = (now_us() if now is None else now) - GRACE_US
    total = 0
    while True:
        days = storage.unsealed_days(before, PAGE)
        sealed = 0
        for stream_id, day in days:
            sealed += storage.seal_day(stream_id, day, before)
            if pause is not None:
                pause()
        total += sealed
        if progress is not None:
            progress(sealed)
        # No progress on a whole page: what is left cannot be sealed (it has no events).
        if len(days) < PAGE or not sealed:
            return total


class Sealer(PeriodicPass):
    """The background task that runs :func:`seal` every ``interval`` seconds."""

    name = "tidings-sealer"
    log = log

    def __init__(self, storage: Storage, interval: float = INTERVAL) -> None:
        super().__init__(storage, interval, FIRST_PASS_DELAY, PAUSE)

    def run_pass(self, pause: Callable[[], None]) -> int:
        return seal(self.storage, pause=pause)

    def describe(self, done: int, elapsed: float) -> str:
        return f"sealing: sealed {done} stream-days in {elapsed:.1f} s"
