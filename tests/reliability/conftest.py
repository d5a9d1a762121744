"""The database engines the reliability tests run against, each in a fresh database."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.services import postgres_schema

# The tests log their figures at INFO (--log-cli-level=INFO); one line per request is noise.
logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Server environment for the engine: SQLite in the server's data dir, or PostgreSQL in
    a schema of its own (skipped locally when PostgreSQL is down; a failure under CI)."""
    if request.param == "sqlite":
        yield {}
        return
    with postgres_schema() as url:
        yield {"TIDINGS_DATABASE_URL": url}
