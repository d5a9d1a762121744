"""Microticks entities: consumers (who may start sessions) and sessions, in portable Core.

Click events are not kept here: they are core events (namespace ``microticks``) whose
``session_id`` is a session's ``public_id``. Session figures (clicks, last action) are read
from those events, so they stay right after erasure or retention prunes events.

Every function takes the storage's SQLAlchemy engine, so each storage engine shares them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Select,
    String,
    Table,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from tidings.errors import Conflict
from tidings.model.timeparse import now_us
from tidings.storage.schema import BigId, events, metadata, sources, streams

NAMESPACE = "microticks"
CLICK = "click"

consumers = Table(
    "consumers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(200), nullable=False),
    # Kept after a soft delete, so the old key is told "not active" rather than "invalid".
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("source_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    Index(
        "ix_consumers_live_name",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", BigId, primary_key=True),
    # What core events carry as session_id: not a secret, unlike the token.
    Column("public_id", String(36), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("consumer_id", BigInteger, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("started_at", BigInteger, nullable=False),
    Column("stopped_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_sessions_started", "started_at"),
)

# Session figures and session filters on the native API look events up by session id.
ix_events_session = Index(
    "ix_events_session",
    events.c.session_id,
    sqlite_where=text("session_id IS NOT NULL"),
    postgresql_where=text("session_id IS NOT NULL"),
)


@dataclass(frozen=True, slots=True)
class Consumer:
    id: int
    name: str
    source_id: int
    created_at: int
    deleted_at: int | None

    @property
    def active(self) -> bool:
        return self.deleted_at is None


@dataclass(frozen=True, slots=True)
class SessionRef:
    """What ingest needs to know about the session behind a token."""

    id: int
    public_id: str
    source_id: int
    stopped_at: int | None
    consumer_active: bool


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """``ip`` exact; ``started_from``/``started_to`` a half-open range (us); ``consumer`` an
    id or a name."""

    ip: str | None = None
    started_from: int | None = None
    started_to: int | None = None
    consumer: str | None = None


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


_CONSUMER_COLUMNS = (
    consumers.c.id,
    consumers.c.name,
    consumers.c.source_id,
    consumers.c.created_at,
    consumers.c.deleted_at,
)


# -- consumers --------------------------------------------------------------------------------
def create_consumer(engine: Engine, name: str, key_hash: str) -> Consumer:
    """A consumer and its source (no write key: events arrive only through sessions).

    Raises:
        Conflict: a live consumer or source already has this name.
    """
    created = now_us()
    try:
        with engine.begin() as conn:
            source = conn.execute(
                insert(sources).values(name=name, key_hash=None, created_at=created)
            )
            (source_id,) = source.inserted_primary_key or (0,)
            conn.execute(
                insert(consumers).values(
                    name=name, key_hash=key_hash, source_id=source_id, created_at=created
                )
            )
            row = conn.execute(
                select(*_CONSUMER_COLUMNS).where(consumers.c.key_hash == key_hash)
            ).one()
    except IntegrityError:
        raise Conflict(f"a consumer or source named {name!r} already exists") from None
    return Consumer(*row)


def consumer_by_key_hash(engine: Engine, key_hash: str) -> Consumer | None:
    """The consumer with this key, deleted or not."""
    with engine.connect() as conn:
        row = conn.execute(
            select(*_CONSUMER_COLUMNS).where(consumers.c.key_hash == key_hash)
        ).first()
    return Consumer(*row) if row else None


def list_consumers(engine: Engine, *, include_inactive: bool = False) -> list[Consumer]:
    """Active consumers by name; with ``include_inactive``, deactivated ones after them
    (newest first within a name, since a name is free again once its consumer is gone)."""
    query = select(*_CONSUMER_COLUMNS).order_by(
        consumers.c.deleted_at.is_not(None), consumers.c.name, consumers.c.id.desc()
    )
    if not include_inactive:
        query = query.where(consumers.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return [Consumer(*row) for row in conn.execute(query).all()]


def delete_consumer(engine: Engine, name: str) -> bool:
    """Soft delete: the key then gets "not active"; the source frees its name, events stay."""
    deleted = now_us()
    with engine.begin() as conn:
        row = conn.execute(
            select(consumers.c.id, consumers.c.source_id).where(
                consumers.c.name == name, consumers.c.deleted_at.is_(None)
            )
        ).first()
        if row is None:
            return False
        conn.execute(update(consumers).where(consumers.c.id == row[0]).values(deleted_at=deleted))
        conn.execute(
            update(sources)
            .where(sources.c.id == row[1], sources.c.deleted_at.is_(None))
            .values(deleted_at=deleted)
        )
    return True


# -- sessions ---------------------------------------------------------------------------------
def create_session(
    engine: Engine,
    *,
    consumer_id: int,
    public_id: str,
    token_hash: str,
    ip: str | None,
    started_at: int,
) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            insert(sessions).values(
                public_id=public_id,
                token_hash=token_hash,
                consumer_id=consumer_id,
                ip=ip,
                started_at=started_at,
                created_at=now_us(),
            )
        )
    (session_id,) = result.inserted_primary_key or (0,)
    return int(session_id)


def session_by_token_hash(engine: Engine, token_hash: str) -> SessionRef | None:
    query = (
        select(
            sessions.c.id,
            sessions.c.public_id,
            consumers.c.source_id,
            sessions.c.stopped_at,
            consumers.c.deleted_at.is_(None),
        )
        .join(consumers, consumers.c.id == sessions.c.consumer_id)
        .where(sessions.c.token_hash == token_hash)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return SessionRef(int(row[0]), str(row[1]), int(row[2]), row[3], bool(row[4]))


def stop_session(engine: Engine, session_id: int, stopped_at: int) -> bool:
    """Mark the session stopped; False when it already was (the check and set are one
    statement, so two concurrent stops cannot both succeed)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.stopped_at.is_(None))
            .values(stopped_at=stopped_at)
        )
    return result.rowcount > 0


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
    query: Select[Any],
    columns: dict[str, Any],
    order: Sequence[tuple[str, bool]],
    tiebreak: Any,
    limit: int,
    offset: int,
) -> Select[Any]:
    # ``order`` names come from a whitelist in core; an unknown one is a KeyError here,
    # never text in SQL.
    clauses = [columns[name].desc() if desc else columns[name].asc() for name, desc in order]
    return query.order_by(*clauses, tiebreak).limit(limit).offset(offset)


def list_events(
    engine: Engine,
    flt: SessionFilter,
    order: Sequence[tuple[str, bool]],
    limit: int,
    offset: int,
) -> list[EventRow]:
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
            *_session_conditions(flt),
        )
    )
    columns = {
        "id": events.c.id,
        "time": events.c.ts,
        "action": streams.c.name,
        "session_id": sessions.c.id,
    }
    query = _ordered(query, columns, order, events.c.id.asc(), limit, offset)
    with engine.connect() as conn:
        return [EventRow(*row) for row in conn.execute(query).all()]


def list_sessions(
    engine: Engine,
    flt: SessionFilter,
    order: Sequence[tuple[str, bool]],
    limit: int,
    offset: int,
) -> list[SessionRow]:
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
        .where(*_session_conditions(flt))
    )
    columns = {
        "id": sessions.c.id,
        "consumer_id": sessions.c.consumer_id,
        "started_at": sessions.c.started_at,
        "stopped_at": sessions.c.stopped_at,
        "clicks": clicks,
        "last_action": last,
    }
    query = _ordered(query, columns, order, sessions.c.id.asc(), limit, offset)
    with engine.connect() as conn:
        return [SessionRow(*row) for row in conn.execute(query).all()]
