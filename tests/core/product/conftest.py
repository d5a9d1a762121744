"""The product questions on every storage engine: one migrated database per test module and
engine (each example keeps to its own namespace and ids)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import postgres_schema
from tidings.storage import open_storage
from tidings.storage.base import Storage


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_storage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Storage]:
    if request.param == "sqlite":
        storage = open_storage(f"sqlite:///{tmp_path_factory.mktemp('product') / 'shared.db'}")
        storage.startup()
        yield storage
        storage.shutdown()
        return
    with postgres_schema() as url:
        storage = open_storage(url)
        storage.startup()
        yield storage
        storage.shutdown()
