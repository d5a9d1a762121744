"""Microticks read queries: events and sessions of the read API, filtered by session.

Session figures (clicks, events, last action) are read from the core events, so they stay
right after erasure or retention prunes events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, and_, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tidings.compat.microticks.store import CLICK, NAMESPACE, consumers, sessions
from tidings.storage.schema import events, streams


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """``ip`` exact; ``started_from``/``started_to`` a half-open range (us); ``consumer`` an
    id or a name."""

    ip: str | None = None
    started_from: int | None = None
    started_to: int | None = None
    consumer: str | None = None


@dataclass(frozen=True)
class ListQuery:
    """One page of a listing: which sessions, in what order (column, descending)."""

    filter: SessionFilter
    order: tuple[tuple[str, bool], ...]
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    action: str
    properties: str | None
    context: str | None
    session_id: int
    time: int


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    public_id: str
    consumer_id: int
    consumer: str
    ip: str | None
    started_at: int
    stopped_at: int | None
    clicks: int
    events: int
    last_action: int | None


def _session_conditions(flt: SessionFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.ip is not None:
        conditions.append(sessions.c.ip == flt.ip)
    if flt.started_from is not None:
        conditions.append(sessions.c.started_at >= flt.started_from)
    if flt.started_to is not None:
        conditions.append(sessions.c.started_at < flt.started_to)
    if flt.consumer is not None:
        by_name = consumers.c.name == flt.consumer
        if flt.consumer.isdigit() and len(flt.consumer) < 19:
            conditions.append(or_(consumers.c.id == int(flt.consumer), by_name))
        else:
            conditions.append(by_name)
    return conditions


def _ordered(
    query: Select[Any], columns: dict[str, Any], page: ListQuery, tiebreak: Any
) -> Select[Any]:
    # ``order`` names come from a whitelist in core; an unknown one is a KeyError here,
    # never text in SQL.
    clauses = [columns[name].desc() if desc else columns[name].asc() for name, desc in page.order]
    return query.order_by(*clauses, tiebreak).limit(page.limit).offset(page.offset)


def list_events(engine: Engine, page: ListQuery) -> list[EventRow]:
    """Microticks events (core events in its namespace), filtered by their session."""
    query = (
        select(
            events.c.id,
            streams.c.name,
            events.c.properties,
            events.c.context,
            sessions.c.id,
            events.c.ts,
        )
        .select_from(events)
        .join(streams, streams.c.id == events.c.stream_id)
        .join(sessions, sessions.c.public_id == events.c.session_id)
        .join(
            consumers,
            and_(
                consumers.c.id == sessions.c.consumer_id,
                consumers.c.source_id == events.c.source_id,
            ),
        )
        .where(
            streams.c.namespace == NAMESPACE,
            # Spelled out so the planner walks the consumers' streams on ix_events_stream_ts
            # instead of scanning every event of every source in id order.
            events.c.stream_id.in_(select(streams.c.id).where(streams.c.namespace == NAMESPACE)),
            *_session_conditions(page.filter),
        )
    )
    columns = {
        "id": events.c.id,
        "time": events.c.ts,
        "action": streams.c.name,
        "session_id": sessions.c.id,
    }
    query = _ordered(query, columns, page, events.c.id.asc())
    with engine.connect() as conn:
        return [EventRow(*row) for row in conn.execute(query).all()]


def list_sessions(engine: Engine, page: ListQuery) -> list[SessionRow]:
    """Sessions with their click count, event count and last event time, clickless ones
    included. The figures are correlated subqueries on ``ix_events_session``, so a page
    costs index lookups for its own sessions, not a scan of every event."""
    own = and_(
        events.c.session_id == sessions.c.public_id,
        events.c.source_id == consumers.c.source_id,
    )
    clicks = (
        select(func.count())
        .select_from(events)
        .join(streams, streams.c.id == events.c.stream_id)
        .where(own, streams.c.namespace == NAMESPACE, streams.c.name == literal(CLICK))
        .scalar_subquery()
        .label("clicks")
    )
    total = select(func.count()).select_from(events).where(own).scalar_subquery().label("total")
    last = select(func.max(events.c.ts)).where(own).scalar_subquery().label("last_action")
    query = (
        select(
            sessions.c.id,
            sessions.c.public_id,
            sessions.c.consumer_id,
            consumers.c.name,
            sessions.c.ip,
            sessions.c.started_at,
            sessions.c.stopped_at,
            clicks,
            total,
            last,
        )
        .select_from(sessions)
        .join(consumers, consumers.c.id == sessions.c.consumer_id)
        .where(*_session_conditions(page.filter))
    )
    columns = {
        "id": sessions.c.id,
        "consumer_id": sessions.c.consumer_id,
        "started_at": sessions.c.started_at,
        "stopped_at": sessions.c.stopped_at,
        "clicks": clicks,
        "last_action": last,
    }
    query = _ordered(query, columns, page, sessions.c.id.asc())
    with engine.connect() as conn:
        return [SessionRow(*row) for row in conn.execute(query).all()]
