"""Shared fixtures: settings in a temp dir, an in-process app with its lifespan, credentials."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tidings.app import create_app
from tidings.config import Settings
from tidings.core.auth import hash_password, new_secret, secret_hash
from tidings.http.deps import Runtime
from tidings.http.hotpath import HotPath
from tidings.storage.sqlite import SQLiteStorage

ADMIN = ("admin", "admin-password-1")
VIEWER = ("viewer", "viewer-password-1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path / "data"), admin_password=ADMIN[1])


@pytest.fixture
def app(settings: Settings) -> HotPath:
    return create_app(settings)


@pytest.fixture
def client(app: HotPath) -> Iterator[TestClient]:
    """A client of the running app (lifespan entered: storage open, writer running)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def rt(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


@pytest.fixture
def write_key(rt: Runtime) -> str:
    """The write key of a fresh source named ``test``."""
    key = new_secret("wk_")
    rt.storage.create_source("test", secret_hash(key), None)
    return key


@pytest.fixture
def viewer(rt: Runtime) -> tuple[str, str]:
    rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "viewer")
    return VIEWER


@pytest.fixture
def admin() -> tuple[str, str]:
    return ADMIN


@pytest.fixture(scope="module")
def shared_storage() -> Iterator[SQLiteStorage]:
    """One migrated SQLite database for a whole module (property tests make many examples;
    each example keeps to its own namespace instead of paying for a fresh database)."""
    with tempfile.TemporaryDirectory() as tmp:
        storage = SQLiteStorage(f"sqlite:///{Path(tmp) / 'shared.db'}")
        storage.startup()
        yield storage
        storage.shutdown()
