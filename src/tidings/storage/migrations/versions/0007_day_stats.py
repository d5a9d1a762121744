"""day_stats: exact figures and mergeable sketches of raw-scan functions per sealed UTC day

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_stats",
        sa.Column("stream_id", sa.BigInteger(), nullable=False),
        sa.Column("day_us", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("persons", sa.BigInteger(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=False),
        sa.Column("p90", sa.Float(), nullable=False),
        sa.Column("p95", sa.Float(), nullable=False),
        sa.Column("p99", sa.Float(), nullable=False),
        sa.Column("persons_hll", sa.LargeBinary(), nullable=False),
        sa.Column("values_histogram", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "day_us"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("day_stats")
