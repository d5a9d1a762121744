"""opencast adopters, statistics, hosts, tobira

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

_TEXT = {
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
_BOOL = ("contact_me", "send_errors", "send_usage", "allows_tech_data")
_COUNTS = (
    "job_count",
    "event_count",
    "series_count",
    "user_count",
    "ca_count",
    "total_minutes",
    "tenant_count",
)


def upgrade() -> None:
    op.create_table(
        "opencast_adopters",
        sa.Column("adopter_key", sa.String(length=255), nullable=False),
        *(sa.Column(name, sa.String(length=size), nullable=True) for name, size in _TEXT.items()),
        *(sa.Column(name, sa.Boolean(), nullable=True) for name in _BOOL),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("adopter_key"),
    )
    op.create_table(
        "opencast_statistics",
        sa.Column("statistic_key", sa.String(length=255), nullable=False),
        sa.Column("adopter_key", sa.String(length=255), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=True) for name in _COUNTS),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("statistic_key"),
    )
    op.create_index("ix_opencast_statistics_adopter", "opencast_statistics", ["adopter_key"])
    op.create_table(
        "opencast_hosts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("statistic_key", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.Text(), nullable=True),
        sa.Column("cores", sa.BigInteger(), nullable=True),
        sa.Column("max_load", sa.Float(), nullable=True),
        sa.Column("memory", sa.BigInteger(), nullable=True),
        sa.Column("disk_space", sa.BigInteger(), nullable=True),
        sa.Column("services", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opencast_hosts_statistic", "opencast_hosts", ["statistic_key"])
    op.create_table(
        "opencast_tobira",
        sa.Column("statistic_key", sa.String(length=255), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("statistic_key"),
    )


def downgrade() -> None:
    op.drop_table("opencast_tobira")
    op.drop_index("ix_opencast_hosts_statistic", table_name="opencast_hosts")
    op.drop_table("opencast_hosts")
    op.drop_index("ix_opencast_statistics_adopter", table_name="opencast_statistics")
    op.drop_table("opencast_statistics")
    op.drop_table("opencast_adopters")
