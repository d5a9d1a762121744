"""The read types every layer shares: what storage hands up and what the services pass down.

Plain frozen records with no behaviour beyond their fields, so the model stays free of any
layer: storage fills them, core computes over them, http and cli render them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Stream:
    """One (source, namespace, name) triple; events and rollups hang off its id."""

    id: int
    source_id: int
    source: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    message_id: str
    source: str
    namespace: str
    name: str
    timestamp: int
    received_at: int
    value: float
    properties: str | None
    context: str | None
    user_id: str | None
    anonymous_id: str | None
    session_id: str | None


@dataclass(frozen=True, slots=True)
class InsertResult:
    """The stored id of one submitted event; ``duplicate`` when its message id was seen."""

    id: int
    duplicate: bool


@dataclass(frozen=True)
class EventFilter:
    """Filters shared by list, export, live and aggregate. Times are UTC microseconds;
    ``from_us`` is inclusive, ``to_us`` exclusive. ``names`` matches any of them."""

    source: str | None = None
    namespace: str | None = None
    names: tuple[str, ...] = ()
    user_id: str | None = None
    session_id: str | None = None
    from_us: int | None = None
    to_us: int | None = None
    props: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RollupRow:
    stream_id: int
    bucket: int
    count: int
    sum: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class RollupTotal:
    """Rollup rows of one stream summed over the pieces that share ``key``."""

    key: int
    stream_id: int
    count: int
    sum: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class RawRow:
    """What raw-scan aggregate functions need of one event."""

    stream_id: int
    ts: int
    value: float
    user_id: str | None
    anonymous_id: str | None
    properties: str | None


@dataclass(frozen=True, slots=True)
class BucketStat:
    """A raw-scan function's answer for the pieces sharing ``key``: the events in them and
    the function's value over those events."""

    key: int
    count: int
    value: float


@dataclass(frozen=True, slots=True)
class DayStat:
    """The sealed figures of one stream's UTC day (see storage/day_stats.py): exact event and
    person counts and percentiles, and the serialised sketch asked for (else None)."""

    stream_id: int
    day_us: int
    events: int
    persons: int
    p50: float
    p90: float
    p95: float
    p99: float
    sketch: bytes | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    role: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    name: str
    retention_days: int | None
    created_at: int
    key_hash: str | None = None


def person_of(user_id: str | None, anonymous_id: str | None) -> str | None:
    """Who did it, for distinct-user counts: the user id, else the anonymous id (prefixed,
    so an anonymous id never equals a user id)."""
    return user_id or (f"anonymous:{anonymous_id}" if anonymous_id else None)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, PostgreSQL's
    ``percentile_cont``)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
