"""The aggregate answered by the analytics tier: one SQL statement over ``events``.

Buckets are computed in SQL: ``(ts - first edge) // width`` when every bucket has one width
(minutes, hours, UTC days and weeks), else through a list that maps each unit of the edges'
greatest common step (an hour for days across DST, a day for months) to its bucket, read by
index, so no join and no sort. With ``limit``, a first statement ranks the groups by events
over the whole range first (ties by value, ascending; the ``null`` group last among equals)
and folds the rest into ``"(other)"``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from tidings.core import aggregate_groups
from tidings.core.aggregate_groups import OTHER
from tidings.model.records import EventFilter

#: The unit list for non-uniform buckets stays below this many entries, else no tier path.
MAX_UNITS = 2_000_000
_PERSON = "coalesce(nullif(user_id, ''), 'anonymous:' || nullif(anonymous_id, ''))"


Query = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]


class SQLRunner(Protocol):
    """What the aggregate needs of the tier (:class:`tidings.core.analytics.tier.Tier`)."""

    def prop(self, key: str) -> str: ...

    def session(self, flt: EventFilter) -> AbstractContextManager[Query]: ...


def bucket_sql(edges: Sequence[int], total: bool) -> tuple[str, list[object]] | None:
    """SQL for the bucket index of ``ts`` (0-based), with its parameters; None when the
    edges are too irregular for a unit list of :data:`MAX_UNITS`."""
    if total or len(edges) <= 2:
        return "0", []
    first = edges[0]
    widths = {b - a for a, b in itertools.pairwise(edges)}
    if len(widths) == 1:
        return f"((ts - {first}) // {widths.pop()})", []
    step = 0
    for edge in edges[1:]:
        step = math.gcd(step, edge - first)
    units = (edges[-1] - first) // step
    if units > MAX_UNITS:
        return None
    index: list[int] = []
    for bucket, (lo, hi) in enumerate(itertools.pairwise(edges)):
        index.extend([bucket] * ((hi - lo) // step))
    return f"(?::INTEGER[])[((ts - {first}) // {step}) + 1]", [index]


def value_sql(fn: str, quantiles: dict[str, float]) -> str:
    if fn == "count":
        return "count(*)"
    if fn in ("sum", "avg", "min", "max"):
        return f"{fn}(value)"
    if fn == "distinct_users":
        return f"count(DISTINCT {_PERSON})"
    return f"quantile_cont(value, {quantiles[fn]!r})"


def group_sql(runner: SQLRunner, group_by: str | None) -> str:
    if group_by is None:
        return "NULL::VARCHAR"
    if group_by.startswith("prop."):
        return runner.prop(group_by[5:])
    return group_by


def answer(
    runner: SQLRunner,
    flt: EventFilter,
    fn: str,
    group_by: str | None,
    limit: int | None,
    buckets: tuple[str, list[object]],
    quantiles: dict[str, float],
) -> tuple[list[tuple[int, str | None, int, float | None]], int | None]:
    """``[(bucket, group, events, value)]`` and the number of groups (None ungrouped).

    Grouped with ``limit``: one statement ranks the groups by events over the range, a
    second computes the function per bucket with the groups past ``limit`` as one, both over
    the same snapshot."""
    bucket, params = buckets
    value = value_sql(fn, quantiles)
    group = group_sql(runner, group_by)
    total: int | None = None
    with runner.session(flt) as query:
        folded, join = "g", ""
        if group_by is not None:
            totals = {
                g: int(n) for g, n in query(f"SELECT {group}, count(*) FROM events GROUP BY 1", [])
            }
            total = len(totals)
            keep = None if limit is None else aggregate_groups.kept(totals, limit)
            if keep is not None:
                # The kept groups as a small table joined by hash: several times faster
                # than testing each row against a list.
                join = " LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS kept) k ON g = k.kept"
                params = [*params, sorted(g for g in keep if g is not None)]
                folded = (
                    f"CASE WHEN g IS NULL THEN {'NULL' if None in keep else repr(OTHER)} "
                    f"WHEN k.kept IS NULL THEN '{OTHER}' ELSE g END"
                )
        sql = (
            f"SELECT b, {folded} AS gg, count(*), {value} FROM "
            f"(SELECT {bucket} AS b, {group} AS g, value, user_id, anonymous_id FROM events)"
            f"{join} GROUP BY b, gg"
        )
        rows = query(sql, params)
    # Constant groups (one bucket, ungrouped) make an aggregate of no rows answer one row.
    out = [(int(b), g, int(n), None if v is None else float(v)) for b, g, n, v in rows if n]
    return out, total
