"""Opencast adopter entities: adopters, their statistics (with hosts) and Tobira statistics.

Portable SQLAlchemy Core on ``Storage.engine``. Upserts only touch the columns the caller
names, so a client that omits a field (Gson drops nulls) never wipes what was stored. Times
are integer microseconds (UTC), like everywhere else in Tidings.

Statistics reports and error events (generation A) are not here: they are core events
(namespace ``opencast``) and are read back from the event table by :func:`opencast_events`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.types import TypeEngine

from tidings.compat.opencast.upserts import Work, retrying, stamp_columns, upsert
from tidings.model.timeparse import now_us
from tidings.storage.named_sources import source_named
from tidings.storage.schema import BigId, events, metadata, streams

#: Adopter columns a client may set, and their SQL types. Generation A's names are mapped
#: onto these in core/opencast.py (``mail`` -> ``email``, ``allows_statistics`` ->
#: ``send_usage``, ``allows_error_reports`` -> ``send_errors``).
ADOPTER_TEXT = {
    "organisation_name": 255,
    "department_name": 255,
    "first_name": 255,
    "last_name": 255,
    "country": 255,
    "city": 255,
    "postal_code": 64,
    "street": 255,
    "street_no": 64,
    "email": 255,
    "system_type": 64,
    "gender": 16,
    "address_additional": 255,
}
ADOPTER_BOOL = ("contact_me", "send_errors", "send_usage", "allows_tech_data")
STATISTIC_COUNTS = (
    "job_count",
    "event_count",
    "series_count",
    "user_count",
    "ca_count",
    "total_minutes",
    "tenant_count",
)
#: Host columns, in the order the wire shows them; all optional.
HOST_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "hostname": Text,
    "cores": BigInteger,
    "max_load": Float,
    "memory": BigInteger,
    "disk_space": BigInteger,
    "services": Text,
}
HOST_FIELDS = tuple(HOST_TYPES)
KEY_MAX = 255
VERSION_MAX = 255

opencast_adopters = Table(
    "opencast_adopters",
    metadata,
    Column("adopter_key", String(KEY_MAX), primary_key=True),
    *(Column(name, String(size), nullable=True) for name, size in ADOPTER_TEXT.items()),
    *(Column(name, Boolean, nullable=True) for name in ADOPTER_BOOL),
    *stamp_columns(),
)

opencast_statistics = Table(
    "opencast_statistics",
    metadata,
    Column("statistic_key", String(KEY_MAX), primary_key=True),
    # No foreign key: Opencast may send statistics when the adopter POST failed (seed 1.2).
    Column("adopter_key", String(KEY_MAX), nullable=True),
    *(Column(name, BigInteger, nullable=True) for name in STATISTIC_COUNTS),
    Column("version", String(VERSION_MAX), nullable=True),
    *stamp_columns(),
    Index("ix_opencast_statistics_adopter", "adopter_key"),
)

opencast_hosts = Table(
    "opencast_hosts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("statistic_key", String(KEY_MAX), nullable=False),
    *(Column(name, kind, nullable=True) for name, kind in HOST_TYPES.items()),
    Index("ix_opencast_hosts_statistic", "statistic_key"),
)

opencast_tobira = Table(
    "opencast_tobira",
    metadata,
    Column("statistic_key", String(KEY_MAX), primary_key=True),
    Column("data", Text, nullable=False),
    *stamp_columns(),
)


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Which core events ``opencast``/``name`` to read: ``adopter_key`` is matched against
    the event's ``user_id`` (indexed), ``event_id`` against its id; a page of them."""

    name: str
    adopter_key: str | None = None
    event_id: int | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A core event read back as an Opencast record (statistics report, error event)."""

    id: int
    timestamp: int
    adopter_key: str | None
    properties: str | None


# -- adopters --------------------------------------------------------------------------------
def upsert_adopter(engine: Engine, key: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Create or update adopter ``key`` with only the given columns; return the stored row."""

    def work(conn: Connection) -> dict[str, Any]:
        upsert(conn, opencast_adopters, "adopter_key", key, values)
        query = select(opencast_adopters).where(opencast_adopters.c.adopter_key == key)
        return dict(conn.execute(query).mappings().one())

    return retrying(engine, work)


def update_adopter(engine: Engine, key: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Update an existing adopter; None when ``key`` is unknown (nothing is created)."""
    with engine.begin() as conn:
        table = opencast_adopters
        changed = conn.execute(
            update(table).where(table.c.adopter_key == key).values(**values, updated=now_us())
        ).rowcount
        if not changed:
            return None
        row = conn.execute(select(table).where(table.c.adopter_key == key)).mappings().one()
    return dict(row)


def _row(engine: Engine, table: Table, key_col: str, key: str) -> dict[str, Any] | None:
    column = table.c[key_col]
    with engine.connect() as conn:
        row = conn.execute(select(table).where(column == key)).mappings().first()
    return dict(row) if row else None


def _page(
    engine: Engine, table: Table, key_col: str, limit: int | None, offset: int
) -> list[dict[str, Any]]:
    """Rows most recently updated first (then by key, so a page is stable)."""
    query = select(table).order_by(table.c.updated.desc(), table.c[key_col])
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query.limit(limit).offset(offset)).mappings()]


def get_adopter(engine: Engine, key: str) -> dict[str, Any] | None:
    return _row(engine, opencast_adopters, "adopter_key", key)


def list_adopters(engine: Engine, limit: int | None, offset: int) -> list[dict[str, Any]]:
    """Adopters, most recently updated first."""
    return _page(engine, opencast_adopters, "adopter_key", limit, offset)


def adopter_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(opencast_adopters.c.adopter_key)).scalars())


def delete_adopter(engine: Engine, key: str) -> bool:
    """Delete the adopter and the statistics (with hosts) it owns; False when unknown."""
    with engine.begin() as conn:
        deleted = conn.execute(
            delete(opencast_adopters).where(opencast_adopters.c.adopter_key == key)
        ).rowcount
        if not deleted:
            return False
        owned = select(opencast_statistics.c.statistic_key).where(
            opencast_statistics.c.adopter_key == key
        )
        conn.execute(delete(opencast_hosts).where(opencast_hosts.c.statistic_key.in_(owned)))
        conn.execute(delete(opencast_statistics).where(opencast_statistics.c.adopter_key == key))
    return True


# -- statistics ------------------------------------------------------------------------------
def _hosts_of(conn: Connection, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    if not keys:
        return found
    query = (
        select(opencast_hosts.c.statistic_key, *(opencast_hosts.c[f] for f in HOST_FIELDS))
        .where(opencast_hosts.c.statistic_key.in_(keys))
        .order_by(opencast_hosts.c.id)
    )
    for row in conn.execute(query).mappings():
        found[row["statistic_key"]].append({f: row[f] for f in HOST_FIELDS})
    return found


def upsert_statistic(
    engine: Engine,
    key: str,
    values: Mapping[str, Any],
    hosts: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """Create or update statistic ``key``. ``hosts`` replaces the host list; None keeps it."""
    return retrying(engine, statistic_upsert(key, values, hosts))


def statistic_upsert(
    key: str, values: Mapping[str, Any], hosts: Sequence[Mapping[str, Any]] | None
) -> Work:
    """The work of :func:`upsert_statistic` on a connection, for a batch's side write."""

    def work(conn: Connection) -> dict[str, Any]:
        upsert(conn, opencast_statistics, "statistic_key", key, values)
        if hosts is not None:
            conn.execute(delete(opencast_hosts).where(opencast_hosts.c.statistic_key == key))
            if hosts:
                conn.execute(
                    insert(opencast_hosts),
                    [{"statistic_key": key, **{f: h.get(f) for f in HOST_FIELDS}} for h in hosts],
                )
        return _statistic(conn, key) or {}

    return work


def _statistic(conn: Connection, key: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(opencast_statistics).where(opencast_statistics.c.statistic_key == key))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return {**row, "hosts": _hosts_of(conn, [key])[key]}


def get_statistic(engine: Engine, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return _statistic(conn, key)


def list_statistics(
    engine: Engine, limit: int | None, offset: int, adopter_key: str | None = None
) -> list[dict[str, Any]]:
    """Statistics with their hosts, most recently updated first."""
    table = opencast_statistics
    query = select(table).order_by(table.c.updated.desc(), table.c.statistic_key)
    if adopter_key is not None:
        query = query.where(table.c.adopter_key == adopter_key)
    with engine.connect() as conn:
        rows: list[RowMapping] = list(conn.execute(query.limit(limit).offset(offset)).mappings())
        hosts = _hosts_of(conn, [row["statistic_key"] for row in rows])
    return [{**row, "hosts": hosts[row["statistic_key"]]} for row in rows]


def latest_statistics(engine: Engine, adopter_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each adopter's most recently updated statistic (hosts included), in two queries."""
    if not adopter_keys:
        return {}
    table = opencast_statistics
    query = (
        select(table)
        .where(table.c.adopter_key.in_(adopter_keys))
        .order_by(table.c.updated.desc(), table.c.statistic_key)
    )
    latest: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            latest.setdefault(row["adopter_key"], dict(row))
        hosts = _hosts_of(conn, [stat["statistic_key"] for stat in latest.values()])
    return {key: {**stat, "hosts": hosts[stat["statistic_key"]]} for key, stat in latest.items()}


def delete_statistic(engine: Engine, key: str) -> bool:
    with engine.begin() as conn:
        deleted = conn.execute(
            delete(opencast_statistics).where(opencast_statistics.c.statistic_key == key)
        ).rowcount
        conn.execute(delete(opencast_hosts).where(opencast_hosts.c.statistic_key == key))
    return bool(deleted)


# -- tobira ----------------------------------------------------------------------------------
def upsert_tobira(engine: Engine, key: str, data: str) -> dict[str, Any]:
    return retrying(engine, tobira_upsert(key, data))


def tobira_upsert(key: str, data: str) -> Work:
    """The work of :func:`upsert_tobira` on a connection, for a batch's side write."""

    def work(conn: Connection) -> dict[str, Any]:
        upsert(conn, opencast_tobira, "statistic_key", key, {"data": data})
        query = select(opencast_tobira).where(opencast_tobira.c.statistic_key == key)
        return dict(conn.execute(query).mappings().one())

    return work


def get_tobira(engine: Engine, key: str) -> dict[str, Any] | None:
    return _row(engine, opencast_tobira, "statistic_key", key)


def list_tobira(engine: Engine, limit: int | None, offset: int) -> list[dict[str, Any]]:
    return _page(engine, opencast_tobira, "statistic_key", limit, offset)


def delete_tobira(engine: Engine, key: str) -> bool:
    with engine.begin() as conn:
        deleted = conn.execute(
            delete(opencast_tobira).where(opencast_tobira.c.statistic_key == key)
        ).rowcount
    return bool(deleted)


# -- dashboard summaries ---------------------------------------------------------------------
def count_by(engine: Engine, column: str) -> list[tuple[str | None, int]]:
    """How many adopters (``country``, ``system_type``) or statistics (``version``) share
    each value, most common first."""
    table = opencast_statistics if column == "version" else opencast_adopters
    col = table.c[column]
    query = select(col, func.count().label("n")).group_by(col).order_by(func.count().desc(), col)
    with engine.connect() as conn:
        return [(row[0], int(row[1])) for row in conn.execute(query)]


# -- records kept as core events -------------------------------------------------------------
def opencast_events(engine: Engine, source_id: int, wanted: RecordQuery) -> list[StoredRecord]:
    """Core events ``opencast``/``wanted.name`` of the built-in source, newest first (by
    event time, then id)."""
    query = (
        select(events.c.id, events.c.ts, events.c.user_id, events.c.properties)
        .join(streams, streams.c.id == events.c.stream_id)
        .where(
            streams.c.source_id == source_id,
            streams.c.namespace == "opencast",
            streams.c.name == wanted.name,
        )
        .order_by(events.c.ts.desc(), events.c.id.desc())
        .limit(wanted.limit)
        .offset(wanted.offset)
    )
    if wanted.adopter_key is not None:
        query = query.where(events.c.user_id == wanted.adopter_key)
    if wanted.event_id is not None:
        query = query.where(events.c.id == wanted.event_id)
    with engine.connect() as conn:
        return [StoredRecord(*row) for row in conn.execute(query)]


def builtin_source_id(engine: Engine, name: str) -> int:
    """The id of the live source ``name``, created without a write key if missing: it
    cannot be written to from outside; Tidings' own adapters attribute their events to it."""
    return source_named(engine, name).id
