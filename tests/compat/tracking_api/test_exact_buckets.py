"""Buckets labelled by their earliest event (the Tracking API's aggregation)."""

from __future__ import annotations

from datetime import UTC, datetime

from tidings.compat.tracking_api.exact_buckets import bucket_rows
from tidings.core.buckets import to_us


def _us(text: str) -> int:
    return to_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def test_weeks_start_on_monday_in_utc() -> None:
    rows = [
        (_us("2020-08-02T23:59:59"), 1.0),  # Sunday
        (_us("2020-08-03T00:00:00"), 2.0),  # Monday
        (_us("2020-07-27T12:00:00"), 4.0),  # the Monday before
    ]
    buckets = bucket_rows(rows, "week")
    assert [(b.earliest, b.count, b.total) for b in buckets] == [
        (_us("2020-07-27T12:00:00"), 2, 5.0),
        (_us("2020-08-03T00:00:00"), 1, 2.0),
    ]


def test_none_groups_by_exact_timestamp_and_sorts_ascending() -> None:
    t = _us("2021-01-01T00:00:00")
    buckets = bucket_rows([(t + 1, 5.0), (t, 1.0), (t, 3.0)], "none")
    assert [(b.earliest, b.value("avg"), b.value("count")) for b in buckets] == [
        (t, 2.0, 2),
        (t + 1, 5.0, 1),
    ]


def test_functions_over_one_bucket() -> None:
    (bucket,) = bucket_rows([(1, 2.0), (2, -1.0), (3, 8.0)], "year")
    assert bucket.earliest == 1
    assert [bucket.value(fn) for fn in ("avg", "min", "max", "sum", "count")] == [
        3.0,
        -1.0,
        8.0,
        9.0,
        3,
    ]
