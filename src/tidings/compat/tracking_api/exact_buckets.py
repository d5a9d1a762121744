"""Buckets keyed by the earliest event inside them, as the Tracking API answers.

Unlike :mod:`tidings.core.aggregate` (bucket start times, rollups), the Tracking API
(seed-systems.md 3.3) labels each bucket with the timestamp of its earliest event and offers
``granularity=none``, which groups events by their exact timestamp. That needs each event's
timestamp, so this reads raw rows; the Tracking API is a compatibility surface, not the
hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tidings.core.buckets import floor
from tidings.model.records import EventFilter
from tidings.storage.base import Storage

GRANULARITIES = ("minute", "hour", "day", "week", "month", "year", "none")
FUNCTIONS = ("avg", "min", "max", "sum", "count")
_UTC = ZoneInfo("UTC")
# Far outside any storable timestamp, and inside a signed 64-bit integer.
_NO_BOUND = 2**62


@dataclass(slots=True)
class ExactBucket:
    """One bucket: its earliest event time and running count/sum/min/max."""

    earliest: int
    count: int
    total: float
    low: float
    high: float

    def value(self, fn: str) -> float | int:
        if fn == "count":
            return self.count
        if fn == "sum":
            return self.total
        if fn == "min":
            return self.low
        if fn == "max":
            return self.high
        return self.total / self.count


def bucket_rows(rows: Iterable[tuple[int, float]], granularity: str) -> list[ExactBucket]:
    """Group ``(timestamp_us, value)`` rows by UTC bucket (Monday weeks), ascending.

    ``granularity="none"`` groups by the exact timestamp.
    """
    buckets: dict[int, ExactBucket] = {}
    for ts, value in rows:
        key = ts if granularity == "none" else floor(ts, granularity, _UTC)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = ExactBucket(ts, 1, value, value, value)
            continue
        bucket.earliest = min(bucket.earliest, ts)
        bucket.count += 1
        bucket.total += value
        bucket.low = min(bucket.low, value)
        bucket.high = max(bucket.high, value)
    return [buckets[key] for key in sorted(buckets)]


def exact_buckets(
    storage: Storage,
    namespace: str,
    name: str,
    granularity: str,
    from_us: int | None,
    to_us: int | None,
) -> list[ExactBucket]:
    """Buckets of the events named ``namespace``/``name`` (every source) in
    ``[from_us, to_us)``; a missing bound is open."""
    flt = EventFilter(namespace=namespace, names=(name,))
    stream_ids = [stream.id for stream in storage.streams(flt)]
    if not stream_ids:
        return []
    lo = -_NO_BOUND if from_us is None else from_us
    hi = _NO_BOUND if to_us is None else to_us
    if lo >= hi:
        return []
    rows = ((row.ts, row.value) for row in storage.raw_rows(stream_ids, [(lo, hi)]))
    return bucket_rows(rows, granularity)
