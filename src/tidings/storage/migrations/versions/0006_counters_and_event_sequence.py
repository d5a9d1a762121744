"""Counters (the event id high-water mark) and, on PostgreSQL, the event id sequence.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Event ids come from a sequence on PostgreSQL; start it past any existing event.
        op.execute("CREATE SEQUENCE events_id_seq AS bigint")
        op.execute(
            "SELECT setval('events_id_seq', COALESCE((SELECT MAX(id) FROM events), 0) + 1, false)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE events_id_seq")
    op.drop_table("counters")
