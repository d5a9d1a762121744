"""One real server for the ``/system`` tests, with fast applause rounds and two users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server import Server, running_server

ALICE = ("alice", "alice-password-1")
BOB = ("bob", "bob-password-1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "TIDINGS_LIVE_KEEPALIVE_S": "1",
        "TIDINGS_APPLAUSE_INTERVAL_MS": "100",
        "TIDINGS_APPLAUSE_WINDOW_S": "1",
    }
    with running_server(tmp_path_factory.mktemp("system"), env) as srv:
        for name, password in (ALICE, BOB):
            srv.cli("user", "create", name, "--password", password)
        yield srv


@pytest.fixture(scope="module")
def key(server: Server) -> str:
    return server.create_source("system")
