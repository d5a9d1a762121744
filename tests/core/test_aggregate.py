"""Aggregates served from rollups (plus raw edges) equal a brute-force scan of raw events."""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.aggregate import MAX_BUCKETS, AggregateQuery, aggregate
from tidings.core.buckets import boundaries, label
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter, RollupTotal
from tidings.storage.sqlite import SQLiteStorage

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45 with DST
    "Australia/Adelaide",  # +09:30 / +10:30 with DST
]
# Instants next to DST changes, so windows straddle them.
ANCHORS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Europe springs forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York falls back
    datetime(2026, 4, 4, 14, tzinfo=UTC),  # Chatham and Adelaide fall back
    datetime(2026, 9, 26, 14, tzinfo=UTC),  # Chatham springs forward
    datetime(2025, 12, 31, 20, tzinfo=UTC),  # a year boundary
]
GRANULARITY_SPAN_HOURS = {
    "minute": 3,
    "hour": 72,
    "day": 24 * 20,
    "week": 24 * 60,
    "month": 24 * 200,
    "year": 24 * 800,
    "total": 24 * 30,
}
FUNCTIONS = ["count", "sum", "avg", "min", "max", "distinct_users", "p50", "p95"]
HOUR = 3_600_000_000
_names = itertools.count()


def _draft(namespace: str, ts: int, value: float, user: str | None) -> EventDraft:
    return EventDraft(
        source_id=1,
        namespace=namespace,
        name="n",
        timestamp=ts,
        received_at=ts,
        value=value,
        properties=None,
        context=None,
        message_id=None,
        user_id=user,
        anonymous_id=None,
        session_id=None,
    )


def _expected(
    events: Sequence[tuple[int, float, str | None]],
    fn: str,
    edges: list[int],
    lo: int,
    hi: int,
) -> list[tuple[int, float | None, int]]:
    """Brute force: put every event in its bucket by bisecting the bucket edges."""
    per_bucket: dict[int, list[tuple[float, str | None]]] = {}
    for ts, value, user in events:
        if lo <= ts < hi:
            index = bisect.bisect_right(edges, ts) - 1
            per_bucket.setdefault(index, []).append((value, user))
    out: list[tuple[int, float | None, int]] = []
    for index in sorted(per_bucket):
        values = [v for v, _ in per_bucket[index]]
        result: float
        if fn == "count":
            result = len(values)
        elif fn == "sum":
            result = sum(values)
        elif fn == "avg":
            result = sum(values) / len(values)
        elif fn == "min":
            result = min(values)
        elif fn == "max":
            result = max(values)
        elif fn == "distinct_users":
            result = len({u for _, u in per_bucket[index] if u is not None})
        else:
            q = int(fn[1:])
            result = (
                values[0]
                if len(values) == 1
                else statistics.quantiles(values, n=100, method="inclusive")[q - 1]
            )
        out.append((index, result, len(values)))
    return out


events_strategy = st.lists(
    st.tuples(
        st.floats(0, 1),  # position in the span
        st.integers(-50, 50).map(lambda v: v / 2),  # halves: sums stay exact
        st.sampled_from([None, "ann", "bob", "cy"]),
    ),
    max_size=60,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=events_strategy,
    granularity=st.sampled_from(sorted(GRANULARITY_SPAN_HOURS)),
    fn=st.sampled_from(FUNCTIONS),
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    window=st.tuples(st.floats(-0.2, 1.2), st.floats(-0.2, 1.2)),
)
def test_aggregate_equals_brute_force_scan(
    shared_storage: SQLiteStorage,
    events: list[tuple[float, float, str | None]],
    granularity: str,
    fn: str,
    zone: str,
    anchor: datetime,
    window: tuple[float, float],
) -> None:
    namespace = f"ns{next(_names)}"
    span = GRANULARITY_SPAN_HOURS[granularity] * HOUR
    base = int(anchor.timestamp() * 1_000_000) - span // 2
    # Second-aligned times hit minute edges often; a few odd microseconds keep edges honest.
    stored = [
        (base + int(pos * span) // 1_000_000 * 1_000_000 + i % 3, v, u)
        for i, (pos, v, u) in enumerate(events)
    ]
    if stored:
        shared_storage.insert_batch([_draft(namespace, ts, v, u) for ts, v, u in stored])
    lo, hi = sorted(base + int(w * span) for w in window)
    if lo == hi:
        hi += 1
    tz = ZoneInfo(zone)
    query = AggregateQuery(
        flt=EventFilter(namespace=namespace, from_us=lo, to_us=hi),
        granularity=granularity,
        fn=fn,
        tz=tz,
    )
    edges = [lo, hi] if granularity == "total" else boundaries(lo, hi, granularity, tz, MAX_BUCKETS)
    expected = _expected(stored, fn, edges, lo, hi)
    got = aggregate(shared_storage, query)
    assert [b.count for b in got] == [count for _, _, count in expected]
    for bucket, (index, value, _) in zip(got, expected, strict=True):
        if granularity != "total":
            assert bucket.start == label(edges[index], tz)
        assert bucket.value == pytest.approx(value)


def test_bucket_edges_follow_local_midnight_across_dst_and_odd_offsets() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    lo = int(datetime(2026, 3, 28, tzinfo=berlin).timestamp() * 1_000_000)
    edges = boundaries(lo, lo + 1, "day", berlin, 10)
    assert [label(e, berlin) for e in edges] == [
        "2026-03-28T00:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
    ]
    # The day of the change is 23 hours long.
    two = boundaries(lo, lo + 30 * HOUR, "day", berlin, 10)
    assert two[2] - two[1] == 23 * HOUR
    kathmandu = ZoneInfo("Asia/Kathmandu")
    start = int(datetime(2026, 1, 1, 12, 7, tzinfo=UTC).timestamp() * 1_000_000)
    hours = boundaries(start, start + 1, "hour", kathmandu, 10)
    assert label(hours[0], kathmandu) == "2026-01-01T17:00:00+05:45"


def test_weeks_start_on_monday() -> None:
    tz = ZoneInfo("America/New_York")
    sunday = int(datetime(2026, 11, 22, 15, tzinfo=tz).timestamp() * 1_000_000)
    edges = boundaries(sunday, sunday + 1, "week", tz, 10)
    assert label(edges[0], tz) == "2026-11-16T00:00:00-05:00"


def test_fall_back_hour_buckets_are_distinct() -> None:
    tz = ZoneInfo("America/New_York")
    lo = int(datetime(2026, 11, 1, 4, tzinfo=UTC).timestamp() * 1_000_000)
    edges = boundaries(lo, lo + 4 * HOUR, "hour", tz, 10)
    assert [e - edges[0] for e in edges] == [i * HOUR for i in range(5)]


def test_two_year_day_buckets_read_minute_rollups_only_at_the_edges(
    shared_storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"ns{next(_names)}"
    start = int(datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC).timestamp() * 1_000_000)
    drafts = [_draft(namespace, start + i * 7 * HOUR, 1.0, None) for i in range(2500)]
    shared_storage.insert_batch(drafts)
    spans: dict[int, int] = {}
    original = shared_storage.rollup_totals

    def recording(
        tier: int, ids: Sequence[int], pieces: Sequence[tuple[int, int, int]]
    ) -> Iterator[RollupTotal]:
        spans[tier] = spans.get(tier, 0) + sum(hi - lo for _, lo, hi in pieces)
        return original(tier, ids, pieces)

    monkeypatch.setattr(shared_storage, "rollup_totals", recording)
    query = AggregateQuery(
        flt=EventFilter(namespace=namespace, from_us=start - 17, to_us=start + 730 * 24 * HOUR),
        granularity="day",
        fn="sum",
    )
    buckets = aggregate(shared_storage, query)
    assert sum(b.count for b in buckets) == 2500
    # Minute rows are read for at most the ragged first hour; hours for at most the ragged
    # first day; everything else comes from day rows.
    assert spans.get(0, 0) <= HOUR
    assert spans.get(1, 0) <= 24 * HOUR
    assert spans[2] >= 728 * 24 * HOUR
