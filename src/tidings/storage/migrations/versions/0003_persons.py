"""Persons for Segment-style identify, group and alias: traits, aliases, groups, members.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("traits", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "person_aliases",
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("linked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("alias"),
    )
    op.create_index(op.f("ix_person_aliases_user_id"), "person_aliases", ["user_id"], unique=False)
    op.create_table(
        "person_groups",
        sa.Column("group_id", sa.String(length=255), nullable=False),
        sa.Column("traits", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=255), nullable=False),
        sa.Column("member_id", sa.String(length=255), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("group_members")
    op.drop_table("person_groups")
    op.drop_index(op.f("ix_person_aliases_user_id"), table_name="person_aliases")
    op.drop_table("person_aliases")
    op.drop_table("persons")
