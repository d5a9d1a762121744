"""microticks consumers and sessions; events looked up by session

Revision ID: 0005
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_LIVE = sa.text("deleted_at IS NULL")
_HAS_SESSION = sa.text("session_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "consumers",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(
        "ix_consumers_live_name",
        "consumers",
        ["name"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_table(
        "sessions",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("consumer_id", sa.BigInteger(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_sessions_started", "sessions", ["started_at"])
    op.create_index(
        "ix_events_session",
        "events",
        ["session_id"],
        sqlite_where=_HAS_SESSION,
        postgresql_where=_HAS_SESSION,
    )


def downgrade() -> None:
    op.drop_index("ix_events_session", table_name="events")
    op.drop_index("ix_sessions_started", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_consumers_live_name", table_name="consumers")
    op.drop_table("consumers")
