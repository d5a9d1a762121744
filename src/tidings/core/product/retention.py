"""Retention: cohorts of persons by the period of their first ``start`` event, and how many
of each cohort came back (a ``return`` event) in each later period.

Periods are calendar days, weeks (starting Monday) or months in the question's time zone. A
period offset is counted on local calendar dates, so a daylight-saving switch never shifts a
return into the wrong period. Only events inside the question's range exist for it, so periods
past its end read 0 (api.md section 8).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tidings.core.event_sql import EventSQL
from tidings.core.product.steps import EventKind, narrowed
from tidings.model.records import EventFilter

UTC = ZoneInfo("UTC")
PERIODS = ("day", "week", "month")
MAX_PERIODS = 52
DEFAULT_PERIODS = 8

#: The number of whole periods from local period start ``c`` to ``p`` (both truncated).
_OFFSET = {
    "day": "date_diff('day', c, p)",
    "week": "date_diff('day', c, p) // 7",
    "month": "date_diff('month', c, p)",
}


@dataclass(frozen=True, slots=True)
class RetentionQuery:
    start: EventKind
    returning: EventKind
    period: str = "week"
    periods: int = DEFAULT_PERIODS
    tz: ZoneInfo = UTC


def retention_sql(sql: EventSQL, query: RetentionQuery) -> tuple[str, list[object]]:
    """One statement answering ``(cohort local start, offset, persons)`` rows; offset 0 is
    the cohort's size."""
    # Placeholders in order: the period unit, the zone, each kind's values, then ``periods``.
    params: list[object] = [query.period, query.tz.key]
    is_start = query.start.condition(sql, params)
    is_return = query.returning.condition(sql, params)
    # ``to_timestamp(0) + interval`` keeps microseconds exactly (a double would round them);
    # ``timezone(zone, timestamptz)`` gives the local wall clock there.
    local = "timezone(?, to_timestamp(0) + to_microseconds(ts))"
    base = (
        f"SELECT * FROM (SELECT person AS e, date_trunc(?, {local}) AS p, "
        f"{is_start} AS s, {is_return} AS r FROM events WHERE person IS NOT NULL) WHERE s OR r"
    )
    params.append(query.periods)
    statement = (
        f"WITH base AS ({base}), "
        "cohort AS (SELECT e, min(p) AS c FROM base WHERE s GROUP BY e), "
        "back AS (SELECT DISTINCT k.e, k.c, "
        f"{_OFFSET[query.period].replace('c, p', 'k.c, b.p')} AS n "
        "FROM cohort k JOIN base b ON b.e = k.e AND b.r AND b.p > k.c) "
        "SELECT c, 0 AS n, count(*) FROM cohort GROUP BY c "
        "UNION ALL SELECT c, n, count(*) FROM back WHERE n < ? GROUP BY c, n "
        "ORDER BY 1, 2"
    )
    return statement, params


def cohort_start(local: datetime, tz: ZoneInfo) -> str:
    """A cohort's local period start as ISO 8601 with the zone's offset at that moment."""
    return local.replace(tzinfo=tz).isoformat()


def shape(query: RetentionQuery, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    returned: dict[datetime, list[int]] = defaultdict(lambda: [0] * query.periods)
    for local, offset, persons in rows:
        returned[local][int(offset)] = int(persons)
    cohorts = [
        {"start": cohort_start(local, query.tz), "size": values[0], "returned": values}
        for local, values in sorted(returned.items())
    ]
    return {"period": query.period, "cohorts": cohorts}


async def retention(sql: EventSQL, flt: EventFilter, query: RetentionQuery) -> dict[str, Any]:
    """Retention over the events matching ``flt`` (its range bounds cohorts and returns)."""
    statement, params = retention_sql(sql, query)
    kinds = (query.start, query.returning)
    return shape(query, await sql.fetch(narrowed(flt, kinds), statement, params))
