"""Client message ids de-duplicate within a window: the message_ids table replaces events'
unique (source_id, message_id) index

Revision ID: 0010
Revises: 0009

The ids of the last FILL_DAYS days of events are copied into message_ids (the window the
server starts with is shorter by default; the expiry pass trims what lies beyond it). Older
ids are not: a retry of one of those is stored again, as after the window. SQLite cannot drop
a table's UNIQUE constraint, so events is rebuilt there (every row copied once, in the
migration's transaction; as 0008 did). The downgrade puts the unique index back, and fails if
an id was stored twice after its window had passed.
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DAY_US = 86_400_000_000
FILL_DAYS = 31
_REBUILT = "_events_0009"
_COLUMNS = (
    "id, source_id, stream_id, ts, received_at, value, message_id, properties, context, "
    "user_id, anonymous_id, session_id"
)


def _rebuild_sqlite_events(*, unique_message_ids: bool) -> None:
    """Copy events into a table that differs only in the unique (source_id, message_id)
    constraint; every other index comes back from the SQL SQLite kept for it."""
    bind = op.get_bind()
    op.execute(f"DROP TABLE IF EXISTS {_REBUILT}")
    indexes = [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
                "AND sql IS NOT NULL ORDER BY name"
            )
        )
    ]
    unique = (
        [sa.UniqueConstraint("source_id", "message_id", name="uq_events_message")]
        if unique_message_ids
        else []
    )
    op.create_table(
        _REBUILT,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("stream_id", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("anonymous_id", sa.String(length=255), nullable=True),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        *unique,
    )
    # In id order, so the new rowid table is appended to, never split.
    op.execute(f"INSERT INTO {_REBUILT} ({_COLUMNS}) SELECT {_COLUMNS} FROM events ORDER BY id")
    op.execute("DROP TABLE events")
    op.execute(f"ALTER TABLE {_REBUILT} RENAME TO events")
    for sql in indexes:
        op.execute(sql)


def upgrade() -> None:
    op.create_table(
        "message_ids",
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "message_id", name="pk_message_ids"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_message_ids_day", "message_ids", ["day"])
    cutoff = (time.time_ns() // 1000 // DAY_US - FILL_DAYS) * DAY_US
    # Unique per source until now.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO message_ids (day, source_id, message_id, event_id) "
            f"SELECT received_at / {DAY_US}, source_id, message_id, id FROM events "
            "WHERE message_id IS NOT NULL AND received_at >= :cutoff"
        ),
        {"cutoff": cutoff},
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(unique_message_ids=False)
    else:
        op.drop_constraint("uq_events_message", "events", type_="unique")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(unique_message_ids=True)
    else:
        op.create_unique_constraint("uq_events_message", "events", ["source_id", "message_id"])
    op.drop_table("message_ids")
