"""Bucket boundaries aligned in an IANA time zone (weeks start on Monday).

Boundaries are UTC microseconds. Day and coarser buckets start at local midnight (the first
instant of the local date, even where midnight falls in a DST gap); minute and hour buckets
start where the local wall clock shows :00, so zones with 30- and 45-minute offsets work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tidings.model.timeparse import EPOCH

GRANULARITIES = ("minute", "hour", "day", "week", "month", "year", "total")
_STEP = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}


def to_us(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def local(us: int, tz: ZoneInfo) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(tz)


def _midnight(day: date, tz: ZoneInfo) -> int:
    return to_us(datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC))


def _first_day(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "year":
        return day.replace(month=1, day=1)
    return day


def _next_day(day: date, granularity: str) -> date:
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7)
    if granularity == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def floor(us: int, granularity: str, tz: ZoneInfo) -> int:
    """Start of the bucket holding instant ``us``."""
    moment = local(us, tz)
    if granularity == "minute":
        return to_us(moment.replace(second=0, microsecond=0).astimezone(UTC))
    if granularity == "hour":
        # replace() keeps ``fold``, so the repeated hour after a DST fall-back floors right.
        start = to_us(moment.replace(minute=0, second=0, microsecond=0).astimezone(UTC))
        return min(start, us)
    return _midnight(_first_day(moment.date(), granularity), tz)


def boundaries(from_us: int, to_us_: int, granularity: str, tz: ZoneInfo, limit: int) -> list[int]:
    """Bucket starts from the one holding ``from_us`` up to the first at or after ``to_us_``.

    The last element is the end of the last bucket. Raises ValueError past ``limit`` buckets.
    """
    if granularity in _STEP:
        step = _STEP[granularity]
        width = int(step.total_seconds()) * 1_000_000
        edges = [floor(from_us, granularity, tz)]
        while edges[-1] < to_us_:
            if len(edges) > limit:
                raise ValueError(f"more than {limit} buckets")
            current = edges[-1]
            candidate = floor(current + width, granularity, tz)
            jump = width
            while candidate <= current:  # a local hour longer than an hour (DST fall-back)
                jump += width // 2
                candidate = floor(current + jump, granularity, tz)
            edges.append(candidate)
        return edges
    day = _first_day(local(from_us, tz).date(), granularity)
    edges = [_midnight(day, tz)]
    while edges[-1] < to_us_:
        if len(edges) > limit:
            raise ValueError(f"more than {limit} buckets")
        day = _next_day(day, granularity)
        edges.append(_midnight(day, tz))
    return edges


def label(us: int, tz: ZoneInfo) -> str:
    """ISO 8601 of a bucket start in ``tz``, e.g. ``2026-03-29T00:00:00+01:00``."""
    return local(us, tz).isoformat()
