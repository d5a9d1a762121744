"""Every storage engine behind one fixture: the contract tests run on each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.services import postgres_schema
from tidings.storage import open_storage
from tidings.storage.base import Storage


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
        return
    with postgres_schema() as url:
        yield url


@contextmanager
def opened(url: str) -> Iterator[Storage]:
    """An engine on ``url``, started, and shut down at exit."""
    engine = open_storage(url)
    engine.startup()
    try:
        yield engine
    finally:
        engine.shutdown()


@pytest.fixture
def storage(storage_url: str) -> Iterator[Storage]:
    with opened(storage_url) as engine:
        yield engine
