"""Funnels: how many persons (or sessions) did steps 1..k in order within a window.

The meaning (api.md section 8): an entity's first step-1 event in the range anchors its one
attempt; step k then takes the earliest event of step k strictly after step k-1's event and at
most ``window`` seconds after the anchor (inclusive). Taking the earliest qualifying event at
every step is what decides reachability: any later choice leaves fewer candidates for the next
step, so greedy never misses a conversion that some other choice would find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tidings.core.event_sql import EventSQL
from tidings.core.product.steps import EventKind, narrowed
from tidings.model.records import EventFilter

#: The column a funnel follows, by ``by``.
ENTITY = {"person": "person", "session": "session_id"}
MIN_STEPS, MAX_STEPS = 2, 10
DEFAULT_WINDOW = 86_400


@dataclass(frozen=True, slots=True)
class FunnelQuery:
    steps: tuple[EventKind, ...]
    window: int = DEFAULT_WINDOW
    by: str = "person"


def funnel_sql(sql: EventSQL, query: FunnelQuery) -> tuple[str, list[object]]:
    """The question as one statement answering ``(step, count, median_us)`` rows, step 1..n."""
    params: list[object] = []
    entity = ENTITY[query.by]
    flags = ", ".join(
        f"{step.condition(sql, params)} AS m{k}" for k, step in enumerate(query.steps, 1)
    )
    any_step = " OR ".join(f"m{k}" for k in range(1, len(query.steps) + 1))
    # One pass over events marks which steps each event can serve; every later part reads
    # only these marked rows, so property expressions run once per event.
    ctes = [
        f"base AS (SELECT * FROM (SELECT {entity} AS e, ts, {flags} FROM events "
        f"WHERE {entity} IS NOT NULL) WHERE {any_step})",
        "r1 AS (SELECT e, min(ts) AS t0, min(ts) AS t FROM base WHERE m1 GROUP BY e)",
    ]
    window_us = query.window * 1_000_000
    for k in range(2, len(query.steps) + 1):
        ctes.append(
            f"r{k} AS (SELECT r.e, r.t0, min(b.ts) AS t FROM r{k - 1} r JOIN base b "
            f"ON b.e = r.e AND b.m{k} AND b.ts > r.t AND b.ts <= r.t0 + {window_us} "
            "GROUP BY r.e, r.t0)"
        )
    selects = [
        f"SELECT {k} AS step, count(*) AS n, median(t - t0) AS med FROM r{k}"
        for k in range(1, len(query.steps) + 1)
    ]
    statement = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects) + " ORDER BY step"
    return statement, params


def shape(query: FunnelQuery, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The API answer from ``(step, count, median_us)`` rows."""
    counts = {int(step): (int(n), med) for step, n, med in rows}
    first = counts.get(1, (0, None))[0]
    steps: list[dict[str, Any]] = []
    previous = first
    for k, step in enumerate(query.steps, 1):
        count, median_us = counts.get(k, (0, None))
        steps.append(
            {
                "namespace": step.namespace,
                "name": step.name,
                "count": count,
                # Nobody entered: no fraction converted, reported as 0 rather than undefined.
                "conversion": count / first if first else 0.0,
                "drop_off": previous - count,
                "median_seconds": None
                if k == 1 or median_us is None
                else float(median_us) / 1_000_000,
            }
        )
        previous = count
    return {"by": query.by, "window": query.window, "steps": steps}


async def funnel(sql: EventSQL, flt: EventFilter, query: FunnelQuery) -> dict[str, Any]:
    """The funnel over the events matching ``flt`` (its range bounds every step)."""
    statement, params = funnel_sql(sql, query)
    return shape(query, await sql.fetch(narrowed(flt, query.steps), statement, params))
