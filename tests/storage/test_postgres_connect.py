"""A PostgreSQL server that never answers fails start-up in bounded time instead of hanging."""

from __future__ import annotations

import socket
import time

import pytest

from tidings.errors import Unavailable
from tidings.storage import postgres
from tidings.storage.postgres import PostgresStorage


def test_a_connect_timeout_is_added_unless_the_url_sets_one() -> None:
    libpq, alchemy = postgres._urls("postgresql://u@db:5432/app")
    assert libpq == f"postgresql://u@db:5432/app?connect_timeout={postgres.CONNECT_TIMEOUT}"
    assert alchemy.startswith("postgresql+psycopg://u@db:5432/app?connect_timeout=")
    libpq, _ = postgres._urls("postgresql://u@db/app?sslmode=disable")
    assert libpq.endswith("?sslmode=disable&connect_timeout=10")
    libpq, _ = postgres._urls("postgresql://u@db/app?connect_timeout=3")
    assert libpq == "postgresql://u@db/app?connect_timeout=3"


def test_start_up_against_a_silent_server_fails_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres, "CONNECT_TIMEOUT", 2)  # libpq's smallest
    # A listening socket nobody reads: the kernel completes the handshake, then silence.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        storage = PostgresStorage(f"postgresql://nobody@127.0.0.1:{port}/none")
        began = time.monotonic()
        with pytest.raises(Unavailable, match="cannot open PostgreSQL database"):
            storage.startup()
        assert time.monotonic() - began < 15
