"""One app per test module for the Opencast tests that must change nothing (bad input, 404s):
starting an app and hashing passwords per test costs more than the test itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER
from tidings.app import create_app
from tidings.config import Settings
from tidings.core.auth import hash_password
from tidings.http.deps import Runtime


@dataclass
class Quiet:
    """A running app whose state the tests sharing it never change."""

    client: TestClient
    rt: Runtime
    viewer: tuple[str, str]


def quiet_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quiet]:
    """Use as ``quiet = pytest.fixture(scope="module")(quiet_app)`` in a test module."""
    data_dir = tmp_path_factory.mktemp("opencast") / "data"
    settings = Settings(data_dir=str(data_dir), admin_password=ADMIN[1])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "viewer")
        yield Quiet(client, rt, VIEWER)
