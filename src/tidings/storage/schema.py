"""The schema in SQLAlchemy Core, shared by every engine. Migrations live in ``migrations/``.

Events hang off a *stream* (source, namespace, name) by a small integer, so raw rows stay
narrow and every rollup key is two integers. Times are integer microseconds since the epoch
(UTC), which both engines index and compare cheaply.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (append-only, no extra index).
BigId = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=True, unique=True),
    Column("retention_days", Integer, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    # A deleted source keeps its row (its events still name it) but frees its name.
    Index(
        "ix_sources_live_name",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

streams = Table(
    "streams",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("source_id", BigInteger, nullable=False),
    Column("namespace", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("source_id", "namespace", "name", name="uq_streams_key"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),
    Column("source_id", BigInteger, nullable=False),
    Column("stream_id", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    # NULL when the client sent none: readers derive the id from id and received_at
    # (core.ids.derived_message_id), so ingest stores no generated string.
    Column("message_id", String(255), nullable=True),
    Column("properties", Text, nullable=True),
    Column("context", Text, nullable=True),
    Column("user_id", String(255), nullable=True),
    Column("anonymous_id", String(255), nullable=True),
    Column("session_id", String(255), nullable=True),
    # No index on message_id: de-duplication reads message_ids below, whose size is bounded
    # by the de-duplication window rather than by all history.
    Index("ix_events_stream_ts", "stream_id", "ts"),
    Index(
        "ix_events_user",
        "user_id",
        sqlite_where=text("user_id IS NOT NULL"),
        postgresql_where=text("user_id IS NOT NULL"),
    ),
)


# The client message ids received within the de-duplication window (storage/dedup.py), with
# the UTC day (days since the epoch) each was received: one probe per id finds it, the day
# index finds what expires. Keying by day first made inserts touch only today's part of the
# tree but cost a probe per day of the window on every lookup (bench/dedup_options.py).
message_ids = Table(
    "message_ids",
    metadata,
    Column("source_id", BigInteger, nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("day", Integer, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("source_id", "message_id", name="pk_message_ids"),
    Index("ix_message_ids_day", "day"),
    sqlite_with_rowid=False,
)


def _rollup(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("stream_id", BigInteger, primary_key=True),
        Column("bucket", BigInteger, primary_key=True),
        Column("count", BigInteger, nullable=False),
        Column("sum", Float, nullable=False),
        Column("min", Float, nullable=False),
        Column("max", Float, nullable=False),
        sqlite_with_rowid=False,
    )


#: Rollup tiers, finest first: table and bucket width in microseconds (UTC-aligned).
rollups_minute = _rollup("rollups_minute")
rollups_hour = _rollup("rollups_hour")
rollups_day = _rollup("rollups_day")
TIERS: tuple[tuple[Table, int], ...] = (
    (rollups_minute, 60_000_000),
    (rollups_hour, 3_600_000_000),
    (rollups_day, 86_400_000_000),
)


# Named high-water marks. ``events_id`` is the highest event id ever handed out: pruning and
# erasure delete rows, and an engine that numbers events from ``MAX(id)`` (SQLite) would
# otherwise hand a deleted id out again, so a live reader or a cursor past it would skip it.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


# Dashboard sessions (storage/dashboard_sessions.py): the cookie's token is kept hashed.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)


# Credentials (storage/credentials.py).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)


oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    # Space-separated, as OAuth2 writes scopes.
    Column("scopes", Text, nullable=False),
    Column("source_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)


oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("client_pk", BigInteger, nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)


#: The percentile functions of the aggregate API, and the day_stats columns for them.
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}

# Sealed days (storage/day_stats.py).
day_stats = Table(
    "day_stats",
    metadata,
    Column("stream_id", BigInteger, primary_key=True),
    Column("day_us", BigInteger, primary_key=True),
    Column("events", BigInteger, nullable=False),
    Column("persons", BigInteger, nullable=False),
    *(Column(name, Float, nullable=False) for name in QUANTILES),
    Column("persons_hll", LargeBinary, nullable=False),
    Column("values_histogram", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)


# People seen through identify, group and alias (storage/persons.py).
persons = Table(
    "persons",
    metadata,
    Column("user_id", String(255), primary_key=True),
    Column("traits", Text, nullable=True),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)


person_aliases = Table(
    "person_aliases",
    metadata,
    # An anonymous or previous id points at exactly one person; the newest link wins.
    Column("alias", String(255), primary_key=True),
    Column("user_id", String(255), nullable=False, index=True),
    Column("linked_at", BigInteger, nullable=False),
)


person_groups = Table(
    "person_groups",
    metadata,
    Column("group_id", String(255), primary_key=True),
    Column("traits", Text, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
)


group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(255), nullable=False),
    Column("member_id", String(255), nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("group_id", "member_id"),
)
