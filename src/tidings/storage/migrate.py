"""Run the Alembic migrations shipped in the package, on a connection we hand over."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (idempotent)."""
    config = alembic_config()
    # Alembic narrates every step at INFO; a server start should not.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Processes on several hosts may start at once: one migrates, the rest wait.
            conn.execute(text("SELECT pg_advisory_xact_lock(7469646967)"))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
