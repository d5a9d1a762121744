"""The aggregate answered by the analytics tier: one SQL statement over ``events``.

Buckets are computed in SQL: ``(ts - first edge) // width`` when every bucket has one width
(minutes, hours, UTC days and weeks), else through a list that maps each unit of the edges'
greatest common step (an hour for days across DST, a day for months) to its bucket, read by
index, so no join and no sort. With ``limit``, the same statement ranks the groups by events
over the whole range (ties by value, ascending; the ``null`` group last among equals) and
folds the rest into ``"(other)"``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, Protocol

from tidings.model.records import EventFilter

OTHER = "(other)"
#: The unit list for non-uniform buckets stays below this many entries, else no tier path.
MAX_UNITS = 2_000_000
_PERSON = "coalesce(nullif(user_id, ''), 'anonymous:' || nullif(anonymous_id, ''))"


class SQLRunner(Protocol):
    """What the aggregate needs of the tier (:class:`tidings.core.analytics.tier.Tier`)."""

    def prop(self, key: str) -> str: ...

    def run(
        self, flt: EventFilter, statements: Sequence[tuple[str, Sequence[object]]]
    ) -> list[list[tuple[Any, ...]]]: ...


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
    """``[(bucket, group, events, value)]`` and the number of groups (None ungrouped)."""
    bucket, params = buckets
    value = value_sql(fn, quantiles)
    base = (
        f"SELECT {bucket} AS b, {group_sql(runner, group_by)} AS g, value, user_id, "
        "anonymous_id FROM events"
    )
    if group_by is None or limit is None:
        sql = f"SELECT b, g, count(*), {value}, NULL FROM ({base}) GROUP BY b, g"
    else:
        sql = (
            f"WITH base AS ({base}), "
            "ranked AS (SELECT g, row_number() OVER "
            "(ORDER BY count(*) DESC, g IS NULL, g) AS r FROM base GROUP BY g), "
            "total AS (SELECT count(*) AS n FROM ranked) "
            f"SELECT b, CASE WHEN r <= {int(limit)} THEN base.g ELSE '{OTHER}' END AS gg, "
            f"count(*), {value}, (SELECT n FROM total) "
            "FROM base JOIN ranked ON base.g IS NOT DISTINCT FROM ranked.g GROUP BY b, gg"
        )
    rows = runner.run(flt, [(sql, params)])[0]
    out = [(int(b), g, int(n), None if v is None else float(v)) for b, g, n, v, _total in rows]
    if group_by is None:
        return out, None
    if limit is None:
        return out, len({g for _b, g, _n, _v in out})
    return out, int(rows[0][4]) if rows else 0
