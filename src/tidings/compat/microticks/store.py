"""Microticks entities: consumers (who may start sessions) and sessions, in portable Core.

Click events are not kept here: they are core events (namespace ``microticks``) whose
``session_id`` is a session's ``public_id``. Session figures (clicks, last action) are read
from those events, so they stay right after erasure or retention prunes events.

Every function takes the storage's SQLAlchemy engine, so each storage engine shares them.
The read API's event and session listings are in queries.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    String,
    Table,
    and_,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from tidings.errors import Conflict
from tidings.model.timeparse import now_us
from tidings.storage.rows import insert_row, update_rows
from tidings.storage.schema import BigId, events, metadata, sources

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


def has_active_consumer(engine: Engine) -> bool:
    """Whether any consumer may start sessions: reads one row at most."""
    query = select(consumers.c.id).where(consumers.c.deleted_at.is_(None)).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


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
    return insert_row(
        engine,
        sessions,
        public_id=public_id,
        token_hash=token_hash,
        consumer_id=consumer_id,
        ip=ip,
        started_at=started_at,
        created_at=now_us(),
    )


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
    unstopped = and_(sessions.c.id == session_id, sessions.c.stopped_at.is_(None))
    return update_rows(engine, sessions, unstopped, stopped_at=stopped_at)
