"""storage/rollups.py: one batch's events folded into every rollup tier."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from tidings.storage.rollups import TierRow, accumulate
from tidings.storage.schema import TIERS

MINUTE = TIERS[0][1]


def brute_force(events: list[tuple[int, int, float]]) -> list[set[TierRow]]:
    """Each tier straight from the events: group by (stream, aligned bucket), then fold."""
    tiers = []
    for _table, width in TIERS:
        groups: dict[tuple[int, int], list[float]] = {}
        for stream_id, ts, value in events:
            groups.setdefault((stream_id, ts - ts % width), []).append(value)
        tiers.append(
            {
                (stream_id, bucket, len(values), sum(values), min(values), max(values))
                for (stream_id, bucket), values in groups.items()
            }
        )
    return tiers


def agree(got: list[TierRow], expected: set[TierRow]) -> bool:
    """The same rows; sums of floats depend on the order they were added in, so those only
    need to be close."""
    mine = {(s, b): (n, total, low, high) for s, b, n, total, low, high in got}
    theirs = {(s, b): (n, total, low, high) for s, b, n, total, low, high in expected}
    if len(mine) != len(got) or mine.keys() != theirs.keys():
        return False
    return all(
        mine[k][0] == theirs[k][0]
        and math.isclose(mine[k][1], theirs[k][1], rel_tol=1e-9, abs_tol=1e-6)
        and mine[k][2:] == theirs[k][2:]
        for k in mine
    )


def test_no_events_give_empty_tiers() -> None:
    assert accumulate([]) == [[] for _ in TIERS]


def test_events_of_one_minute_make_one_row_per_tier_at_aligned_buckets() -> None:
    t = 3 * TIERS[-1][1] + 5 * MINUTE + 17
    tiers = accumulate([(9, t, 2.0), (9, t + 1, -1.0), (9, t + 2, 5.0)])
    for (_table, width), rows in zip(TIERS, tiers, strict=True):
        assert rows == [(9, t - t % width, 3, 6.0, -1.0, 5.0)]


def test_streams_never_share_a_row() -> None:
    tiers = accumulate([(1, 0, 1.0), (2, 0, 1.0)])
    assert all(sorted(row[0] for row in rows) == [1, 2] for rows in tiers)


events = st.lists(
    st.tuples(
        st.integers(1, 4),
        # Minutes to days apart, negative times too (buckets floor towards minus infinity).
        st.integers(-3 * 86_400_000_000, 3 * 86_400_000_000),
        st.floats(-1e6, 1e6, allow_nan=False),
    ),
    max_size=60,
)


@given(events)
def test_every_tier_equals_a_brute_force_fold_of_the_events(
    batch: list[tuple[int, int, float]],
) -> None:
    tiers = accumulate(batch)
    assert len(tiers) == len(TIERS)
    for got, expected in zip(tiers, brute_force(batch), strict=True):
        assert agree(got, expected)
