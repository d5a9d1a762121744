"""The web summary (``GET /api/v1/web``): Plausible's dashboard over the page views of one
namespace, written once as SQL over the ``events`` relation of :mod:`tidings.core.event_sql`.

What the figures mean (api.md section 8, "Web"):

- A *page view* is a ``pageView`` event (what ``/tidings.js`` sends) that matches the filters.
- A *session* is the snippet's ``session_id`` (one per tab, ended by 30 minutes without an
  event or by a new UTC day, see ``tidings.js``). Page views without a ``session_id`` (sent by
  other clients) are split per person at gaps of more than 30 minutes, Plausible's rule; a page
  view with neither session nor person is a session of its own.
- A *visitor* is a person (the ``person`` column); a page view without a person counts its
  session as the visitor.
- Sessions are formed from the page views the filters select, inside ``[from, to)``: a filter
  on a property or a range that cuts a session in two sees only the part it selects.
- A session's entry page, referrer, UTM source, browser, OS and device are those of its first
  page view (by time, then id). ``bounce_rate`` is the share of sessions with one page view
  (None when there are no sessions); ``avg_session_seconds`` is the mean of each session's
  last minus first page view time (a one-page session counts 0 s; None without sessions).
- Top lists count ``visitors`` (distinct visitors) and ``pageviews``: for ``pages``, of the
  page views of that path; for the session-level lists, of every page view of the sessions
  with that value. A missing value (a direct visit has no referrer) is not listed. Lists are
  sorted by visitors, then page views (both descending), then value; ``limit`` rows each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tidings.core.buckets import boundaries
from tidings.core.event_sql import EventSQL
from tidings.model.records import EventFilter

PAGE_VIEW = "pageView"
#: Page views of one person without a session id this far apart start a new session (us).
SESSION_GAP_US = 30 * 60 * 1_000_000
#: The top lists, each with the page view property its value comes from; all but ``pages``
#: take the session's first page view's value.
TOP_LISTS = (
    ("pages", "path"),
    ("entry_pages", "path"),
    ("referrers", "referrer"),
    ("utm_sources", "utm_source"),
    ("browsers", "browser"),
    ("os", "os"),
    ("devices", "device"),
)
SERIES_GRANULARITIES = ("hour", "day", "week", "month")
MAX_BUCKETS = 1000


@dataclass(frozen=True)
class WebQuery:
    """One summary: ``flt`` must carry ``from_us`` and ``to_us``."""

    flt: EventFilter
    tz: ZoneInfo
    granularity: str = "day"
    limit: int = 10


@dataclass(frozen=True)
class TopRow:
    value: str
    visitors: int
    pageviews: int


@dataclass(frozen=True)
class SeriesPoint:
    start_us: int
    visitors: int
    pageviews: int


@dataclass
class WebSummary:
    visitors: int = 0
    pageviews: int = 0
    sessions: int = 0
    #: Sessions with exactly one page view.
    bounces: int = 0
    #: Sum over sessions of last minus first page view time (us): kept whole so the ratios
    #: below are computed once, the same way the tests' brute force does.
    session_us: int = 0
    top: dict[str, list[TopRow]] = dataclasses.field(
        default_factory=lambda: {name: [] for name, _ in TOP_LISTS}
    )
    series: list[SeriesPoint] = dataclasses.field(default_factory=list)

    @property
    def bounce_rate(self) -> float | None:
        return self.bounces / self.sessions if self.sessions else None

    @property
    def avg_session_seconds(self) -> float | None:
        return self.session_us / self.sessions / 1_000_000 if self.sessions else None


def page_view_filter(flt: EventFilter) -> EventFilter:
    """``flt`` narrowed to page views, so a provider loads nothing else."""
    if flt.names:
        return flt  # the SQL keeps only page views; other names give an empty answer
    return dataclasses.replace(flt, names=(PAGE_VIEW,))


#: What a session takes from its first page view, read only for those page views.
_ENTRY_PROPS = ("referrer", "utm_source", "browser", "os", "device")


def _sql(sql: EventSQL) -> str:
    """One statement for the whole summary (a provider may copy the events once per statement).

    Cheap where it can be on DuckDB: properties are read once per page view (``path``) or once
    per session (the entry page view's others); the shared steps are materialized rather than
    inlined into each use; distinct visitors are counted in two steps (group by value and
    visitor, then by value); the series finds each page view's bucket with an ASOF join."""
    p = sql.prop
    entry_props = ", ".join(f"{p(key)} AS {key}" for key in _ENTRY_PROPS)
    per_session = " UNION ALL ".join(
        f"SELECT '{name}' AS kind, value, count(*) AS visitors, sum(n) AS pageviews FROM ("
        f"SELECT {'entry_page' if name == 'entry_pages' else col} AS value, visitor, sum(n) AS n "
        "FROM session_visitors GROUP BY ALL) WHERE value IS NOT NULL GROUP BY value"
        for name, col in TOP_LISTS
        if name != "pages"
    )
    return f"""
WITH buckets AS (
  SELECT unnest(?::BIGINT[]) AS lo
),
pv AS MATERIALIZED (
  SELECT id, ts, person, session_id, {p("path")} AS path
  FROM events WHERE name = '{PAGE_VIEW}'
),
loose AS (
  SELECT *, CASE WHEN person IS NOT NULL
    AND ts - lag(ts) OVER (PARTITION BY person ORDER BY ts, id) <= {SESSION_GAP_US}
    THEN 0 ELSE 1 END AS fresh
  FROM pv WHERE session_id IS NULL
),
keyed AS (
  SELECT *, 's' || session_id AS skey FROM pv WHERE session_id IS NOT NULL
  UNION ALL
  SELECT id, ts, person, session_id, path,
    CASE WHEN person IS NULL THEN 'e' || id::VARCHAR
    ELSE 'p' || person || '#' || (sum(fresh) OVER (
      PARTITION BY person ORDER BY ts, id ROWS UNBOUNDED PRECEDING
    ))::VARCHAR END
  FROM loose
),
v AS MATERIALIZED (
  SELECT *, CASE WHEN person IS NOT NULL THEN 'u' || person ELSE 'k' || skey END AS visitor
  FROM keyed
),
sessions AS MATERIALIZED (
  SELECT skey, count(*) AS n, max(ts) - min(ts) AS span, arg_min(id, (ts, id)) AS entry_id
  FROM v GROUP BY skey
),
entry_props AS (
  SELECT id, {entry_props}
  FROM events WHERE id IN (SELECT entry_id FROM sessions)
),
session_visitors AS MATERIALIZED (
  SELECT sv.visitor, sv.n, first_view.path AS entry_page, e.*
  FROM (SELECT skey, visitor, count(*) AS n FROM v GROUP BY skey, visitor) sv
  JOIN sessions s USING (skey)
  JOIN v AS first_view ON first_view.id = s.entry_id
  JOIN entry_props e ON e.id = s.entry_id
),
tops AS (
  SELECT 'pages' AS kind, value, count(*) AS visitors, sum(n) AS pageviews FROM (
    SELECT path AS value, visitor, count(*) AS n FROM v GROUP BY ALL
  ) WHERE value IS NOT NULL GROUP BY value
  UNION ALL {per_session}
),
ranked AS (
  SELECT kind, value, visitors, pageviews,
    row_number() OVER (PARTITION BY kind ORDER BY visitors DESC, pageviews DESC, value) AS r
  FROM tops
),
bucketed AS (
  SELECT b.lo, v.visitor, count(*) AS n FROM v ASOF JOIN buckets b ON v.ts >= b.lo
  GROUP BY b.lo, v.visitor
),
series AS (
  SELECT b.lo, count(x.visitor) AS visitors, coalesce(sum(x.n), 0) AS pageviews
  FROM buckets b LEFT JOIN bucketed x ON x.lo = b.lo GROUP BY b.lo
)
SELECT 'total' AS kind, NULL AS value,
  (SELECT count(*) FROM (SELECT DISTINCT visitor FROM v))::HUGEINT AS a,
  (SELECT count(*) FROM v)::HUGEINT AS b,
  (SELECT count(*) FROM sessions)::HUGEINT AS c,
  (SELECT count(*) FILTER (WHERE n = 1) FROM sessions)::HUGEINT AS d,
  (SELECT coalesce(sum(span), 0) FROM sessions)::HUGEINT AS e
UNION ALL
SELECT kind, value, visitors, pageviews, NULL, NULL, NULL FROM ranked WHERE r <= ?
UNION ALL
SELECT 'series', NULL, lo, visitors, pageviews, NULL, NULL FROM series
"""


async def web_summary(sql: EventSQL, query: WebQuery) -> WebSummary:
    """The summary of ``query`` over the events ``sql`` provides.

    Raises:
        ValueError: the series would have more than :data:`MAX_BUCKETS` buckets.
    """
    flt = query.flt
    assert flt.from_us is not None and flt.to_us is not None
    edges = boundaries(flt.from_us, flt.to_us, query.granularity, query.tz, MAX_BUCKETS)
    params: list[object] = [edges[:-1], query.limit]
    rows = await sql.fetch(page_view_filter(flt), _sql(sql), params)
    return summary_of(rows)


def summary_of(rows: Sequence[tuple[Any, ...]]) -> WebSummary:
    summary = WebSummary()
    series: list[SeriesPoint] = []
    for kind, value, a, b, c, d, e in rows:
        if kind == "total":
            summary.visitors, summary.pageviews, summary.sessions = int(a), int(b), int(c)
            summary.bounces, summary.session_us = int(d), int(e)
        elif kind == "series":
            series.append(SeriesPoint(int(a), int(b), int(c)))
        else:
            summary.top[kind].append(TopRow(value, int(a), int(b)))
    for rows_of_kind in summary.top.values():
        rows_of_kind.sort(key=lambda r: (-r.visitors, -r.pageviews, r.value))
    summary.series = sorted(series, key=lambda s: s.start_us)
    return summary
