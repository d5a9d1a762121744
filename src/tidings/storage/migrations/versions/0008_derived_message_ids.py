"""events.message_id may be NULL: ids the server would generate are derived on read instead

Revision ID: 0008
Revises: 0007

Rows stored before keep their message ids. SQLite cannot drop NOT NULL in place, so the
table is rebuilt there: every row is copied once, in the migration's transaction.
"""

import sqlalchemy as sa
from alembic import op

from tidings.model.ids import derived_message_id

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REBUILT = "_events_0008"
_COLUMNS = (
    "id, source_id, stream_id, ts, received_at, value, message_id, properties, context, "
    "user_id, anonymous_id, session_id"
)
_FILL_CHUNK = 10_000


def _rebuild_sqlite_events(*, message_id_nullable: bool) -> None:
    """Copy events into a table that differs only in message_id's NULL rule.

    Every index on events is dropped with it; each is created again from the SQL SQLite
    kept for it, so all of them (partial ones included) come back exactly as they were.
    """
    bind = op.get_bind()
    # Left behind only if a crash came between this DDL and the copy (DDL before the first
    # write is not in a transaction under pysqlite); the events table is intact then.
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
    op.create_table(
        _REBUILT,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("stream_id", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=message_id_nullable),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("anonymous_id", sa.String(length=255), nullable=True),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "message_id", name="uq_events_message"),
    )
    # In id order, so the new rowid table is appended to, never split.
    op.execute(f"INSERT INTO {_REBUILT} ({_COLUMNS}) SELECT {_COLUMNS} FROM events ORDER BY id")
    op.execute("DROP TABLE events")
    op.execute(f"ALTER TABLE {_REBUILT} RENAME TO events")
    for sql in indexes:
        op.execute(sql)


def _fill_derived_ids() -> None:
    """Store the derived id of every event that has none, as readers saw it."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, received_at FROM events WHERE message_id IS NULL AND id > :last "
                "ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _FILL_CHUNK},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text("UPDATE events SET message_id = :m WHERE id = :i"),
            [{"m": derived_message_id(i, received), "i": i} for i, received in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(message_id_nullable=True)
    else:
        op.alter_column("events", "message_id", existing_type=sa.String(255), nullable=True)


def downgrade() -> None:
    _fill_derived_ids()
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(message_id_nullable=False)
    else:
        op.alter_column("events", "message_id", existing_type=sa.String(255), nullable=False)
