"""Sealed days: per stream and UTC day, the figures raw-scan aggregate functions need.

A day is *sealed* once it lies wholly in the past: its row holds the exact event and person
counts and p50/p90/p95/p99 (computed as :meth:`Storage.value_percentile` computes them), and
two mergeable sketches (core/sketches.py) for buckets that span many days or streams.

Rows are only ever right: every write that touches a sealed day's events (a late event, an
erasure, a delete, retention) deletes the day's row in its own transaction, and a later
sealing pass computes it again; until then queries scan that day's raw rows. Sealing reads
and writes under the writers' lock, so no event can slip in between the two.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    insert,
    literal,
    select,
)
from sqlalchemy.engine import Connection, Engine

from tidings.model.records import DayStat, percentile, person_of
from tidings.model.sketches import Histogram, HyperLogLog
from tidings.storage.schema import QUANTILES, TIERS, day_stats, events, rollups_day

DAY_US = TIERS[-1][1]
_SKETCHES = {"persons": day_stats.c.persons_hll, "values": day_stats.c.values_histogram}

#: Forget one sealed day, for an engine's own driver connection; format in its paramstyle.
FORGET_SQL = "DELETE FROM day_stats WHERE stream_id = {p} AND day_us = {p}"


def today_us(now_us: int | None = None) -> int:
    """Start of the current UTC day: days before it may be sealed."""
    now = time.time_ns() // 1000 if now_us is None else now_us
    return now - now % DAY_US


def stale_days(day_rows: Iterable[Sequence[Any]], today: int) -> list[tuple[int, int]]:
    """(stream id, day) of a batch's day rollup rows that lie before ``today``: late events
    that may have landed in sealed days."""
    return [(int(row[0]), int(row[1])) for row in day_rows if row[1] < today]


def forget(conn: Connection, days: Iterable[tuple[int, int]]) -> None:
    """Delete the rows of these (stream id, day) pairs (days need not be aligned)."""
    params = [{"s": s, "d": d - d % DAY_US} for s, d in sorted(set(days))]
    if params:
        conn.execute(
            delete(day_stats).where(
                day_stats.c.stream_id == bindparam("s"), day_stats.c.day_us == bindparam("d")
            ),
            params,
        )


def forget_before(conn: Connection, stream_ids: Sequence[int], cutoff: int) -> None:
    conn.execute(
        delete(day_stats).where(day_stats.c.stream_id.in_(stream_ids), day_stats.c.day_us < cutoff)
    )


def figures(rows: Iterable[Sequence[Any]]) -> dict[str, Any] | None:
    """A day_stats row's figures from (value, user_id, anonymous_id) rows; None if none."""
    values: list[float] = []
    persons: set[str] = set()
    for value, user_id, anonymous_id in rows:
        values.append(value)
        person = person_of(user_id, anonymous_id)
        if person is not None:
            persons.add(person)
    if not values:
        return None
    values.sort()
    return {
        "events": len(values),
        "persons": len(persons),
        **{name: percentile(values, q) for name, q in QUANTILES.items()},
        "persons_hll": HyperLogLog.of(persons).to_bytes(),
        "values_histogram": Histogram.of(values).to_bytes(),
    }


class DayStats:
    """Mixin implementing the sealed-day methods of :class:`Storage` in portable Core."""

    engine: Engine

    @abstractmethod
    def _write_tx(self) -> AbstractContextManager[Connection]: ...

    def day_stats(
        self, stream_ids: Sequence[int], lo: int, hi: int, sketch: str | None = None
    ) -> list[DayStat]:
        if not stream_ids or lo >= hi:
            return []
        c = day_stats.c
        extra = _SKETCHES[sketch] if sketch is not None else literal(None)
        query = select(
            c.stream_id, c.day_us, c.events, c.persons, c.p50, c.p90, c.p95, c.p99, extra
        ).where(c.stream_id.in_(list(stream_ids)), c.day_us >= lo, c.day_us < hi)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [DayStat(*row) for row in rows]

    def unsealed_days(self, before_us: int, limit: int) -> list[tuple[int, int]]:
        r, d = rollups_day.c, day_stats.c
        query = (
            select(r.stream_id, r.bucket)
            .select_from(
                rollups_day.outerjoin(
                    day_stats, and_(d.stream_id == r.stream_id, d.day_us == r.bucket)
                )
            )
            .where(d.stream_id.is_(None), r.bucket <= before_us - DAY_US)
            .order_by(r.bucket.desc(), r.stream_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(int(s), int(b)) for s, b in conn.execute(query)]

    def seal_day(self, stream_id: int, day_us: int, before_us: int) -> bool:
        if day_us % DAY_US or day_us + DAY_US > before_us:
            return False
        key = (day_stats.c.stream_id == stream_id, day_stats.c.day_us == day_us)
        with self._write_tx() as conn:
            if conn.execute(select(day_stats.c.stream_id).where(*key)).first() is not None:
                return False
            rows = conn.execute(
                select(events.c.value, events.c.user_id, events.c.anonymous_id).where(
                    events.c.stream_id == stream_id,
                    events.c.ts >= day_us,
                    events.c.ts < day_us + DAY_US,
                )
            )
            found = figures(rows)
            if found is None:
                return False
            conn.execute(insert(day_stats).values(stream_id=stream_id, day_us=day_us, **found))
        return True
