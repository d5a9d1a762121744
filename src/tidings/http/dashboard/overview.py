"""The overview's numbers: events per minute for the last hour, totals, top namespaces/names."""

from __future__ import annotations

from typing import Any

from tidings.core.aggregate import AggregateQuery, aggregate
from tidings.core.store import Storage
from tidings.model.records import EventFilter

MINUTE = 60_000_000
DAY = 24 * 60 * MINUTE
TOP = 10


def _top(storage: Storage, start: int, end: int, group_by: str) -> list[dict[str, Any]]:
    query = AggregateQuery(
        EventFilter(from_us=start, to_us=end), "total", "count", group_by=group_by
    )
    counted = sorted(
        ((b.count, b.group or "") for b in aggregate(storage, query) if b.count),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [{"label": label, "count": count} for count, label in counted[:TOP]]


def overview(storage: Storage, now: int) -> dict[str, Any]:
    """Everything the overview shows, as JSON-ready data (the page polls it)."""
    # Buckets end at the next whole minute, so the current, still-filling minute is last.
    end = (now // MINUTE + 1) * MINUTE
    start = end - 60 * MINUTE
    per_minute = aggregate(
        storage,
        AggregateQuery(EventFilter(from_us=start, to_us=end), "minute", "count", fill=True),
    )
    counts = [b.count for b in per_minute]
    day = aggregate(storage, AggregateQuery(EventFilter(from_us=end - DAY, to_us=end), "total"))
    # Rate over the last five whole minutes: the current minute is still filling.
    recent = counts[-6:-1]
    return {
        "labels": [(b.start or "")[11:16] for b in per_minute],
        "per_minute": counts,
        "total": storage.count_events(),
        "last_hour": sum(counts),
        "last_day": day[0].count if day else 0,
        "rate_per_minute": round(sum(recent) / max(len(recent), 1), 1),
        "top_namespaces": _top(storage, end - DAY, end, "namespace"),
        "top_names": _top(storage, end - DAY, end, "name"),
    }
