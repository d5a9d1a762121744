"""The web summary computed the slow, obvious way, for tests to hold the SQL against; and an
EventSQL provider over a plain list of rows."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson

from tidings.core.event_sql import prop_path
from tidings.core.product.web import (
    PAGE_VIEW,
    SESSION_GAP_US,
    TOP_LISTS,
    SeriesPoint,
    TopRow,
    WebSummary,
)
from tidings.model.records import EventFilter


@dataclass
class Row:
    """One row of the ``events`` relation (the columns the web summary reads)."""

    id: int
    ts: int
    name: str = PAGE_VIEW
    person: str | None = None
    session_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


class RowsSQL:
    """EventSQL over ``rows`` as given: they are taken to match the filter already."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)
        self.filters: list[EventFilter] = []

    def prop(self, key: str) -> str:
        return f"json_extract_string(properties, {prop_path(key)})"

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        self.filters.append(flt)
        return await asyncio.to_thread(self._fetch, sql, params)

    def _fetch(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        con = duckdb.connect(":memory:")
        try:
            con.execute(
                "CREATE TABLE events (id BIGINT, source VARCHAR, namespace VARCHAR, "
                "name VARCHAR, ts BIGINT, received_at BIGINT, value DOUBLE, user_id VARCHAR, "
                "anonymous_id VARCHAR, session_id VARCHAR, person VARCHAR, properties VARCHAR)"
            )
            if self.rows:
                con.executemany(
                    "INSERT INTO events VALUES (?, 's', 'web', ?, ?, ?, 1, NULL, NULL, ?, ?, ?)",
                    [
                        (
                            r.id,
                            r.name,
                            r.ts,
                            r.ts,
                            r.session_id,
                            r.person,
                            orjson.dumps(r.properties).decode() if r.properties else None,
                        )
                        for r in self.rows
                    ],
                )
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()


def _text(value: Any) -> str | None:
    """A property as the list filters compare it (strings as themselves, else JSON text)."""
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def brute_force(rows: Sequence[Row], edges: Sequence[int], limit: int) -> WebSummary:
    views = sorted((r for r in rows if r.name == PAGE_VIEW), key=lambda r: (r.ts, r.id))
    session_of: dict[int, tuple[str, ...]] = {}
    last_seen: dict[str, tuple[int, int]] = {}  # person -> (last ts, session number)
    for r in views:
        if r.session_id is not None:
            session_of[r.id] = ("s", r.session_id)
        elif r.person is None:
            session_of[r.id] = ("e", str(r.id))
        else:
            previous = last_seen.get(r.person)
            number = 1
            if previous is not None:
                number = previous[1] + (0 if r.ts - previous[0] <= SESSION_GAP_US else 1)
            last_seen[r.person] = (r.ts, number)
            session_of[r.id] = ("p", r.person, str(number))

    def visitor(r: Row) -> tuple[str, ...]:
        return ("u", r.person) if r.person is not None else ("k", *session_of[r.id])

    sessions: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for r in views:
        sessions[session_of[r.id]].append(r)
    out = WebSummary()
    out.visitors = len({visitor(r) for r in views})
    out.pageviews = len(views)
    out.sessions = len(sessions)
    out.bounces = sum(1 for s in sessions.values() if len(s) == 1)
    out.session_us = sum(s[-1].ts - s[0].ts for s in sessions.values())
    for name, key in TOP_LISTS:
        counted: dict[str, tuple[set[tuple[str, ...]], list[int]]] = {}
        for r in views:
            source = r if name == "pages" else sessions[session_of[r.id]][0]
            value = _text(source.properties.get(key))
            if value is None:
                continue
            who, count = counted.setdefault(value, (set(), [0]))
            who.add(visitor(r))
            count[0] += 1
        ranked = sorted(
            (TopRow(v, len(who), n[0]) for v, (who, n) in counted.items()),
            key=lambda t: (-t.visitors, -t.pageviews, t.value),
        )
        out.top[name] = ranked[:limit]
    for lo, hi in itertools.pairwise(edges):
        inside = [r for r in views if lo <= r.ts < hi]
        out.series.append(SeriesPoint(lo, len({visitor(r) for r in inside}), len(inside)))
    return out
