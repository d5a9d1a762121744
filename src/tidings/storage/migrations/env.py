"""Alembic environment: runs on the connection Tidings hands over at start-up."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tidings.storage.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
