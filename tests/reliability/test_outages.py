"""PostgreSQL or Redis going away under a running server: 503 on ingest and a failing
``/readyz`` (never a 500, a crash or a hang), and recovery by itself once it is back.

Each server reaches the service through a TCP proxy of its own, which the test cuts (the
port refuses connections and open ones drop, as when the service stops) and restores;
the shared PostgreSQL and Redis keep running for every other test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.ledger import Ledger, check_exactly_once
from tests.reliability.tcp_proxy import TcpProxy, tcp_proxy
from tests.server import Server, running_server
from tests.services import postgres_schema, redis_url

pytestmark = [pytest.mark.serial, pytest.mark.timeout(300)]

#: An outage must be answered well within this (no request may hang on a dead service).
ANSWER_WITHIN = 10.0
#: Ingest during an outage is refused fast, not after long driver retries.
REFUSE_WITHIN = 3.0


def _event(message_id: str) -> dict[str, Any]:
    return {"namespace": "outage", "name": "tick", "message_id": message_id}


def _readyz(server: Server) -> int:
    return httpx.get(f"{server.url}/readyz", timeout=ANSWER_WITHIN).status_code


def _wait_ready(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _readyz(server) != 200:
        assert time.monotonic() < deadline, "the server did not recover by itself"
        time.sleep(0.2)


def _post(ledger: Ledger, server: Server, key: str, message_id: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=ANSWER_WITHIN) as http:
        response = ledger.post(http, key, [_event(message_id)])
    assert response is not None, "no answer (crash or hang)"
    return response


def _check_outage(
    ledger: Ledger, server: Server, proxy: TcpProxy, warm: str, cold: str | None = None
) -> None:
    """Ingest and readiness while the proxy is cut, then after it is restored. ``warm`` is a
    write key used before the outage (cached by the server), ``cold`` one first used during
    it (its lookup needs the service too)."""
    keys = [warm] if cold is None else [warm, cold]
    assert _post(ledger, server, warm, "before").status_code == 200
    proxy.cut()
    # The server notices by itself (a dropped connection, a failed ping) within moments.
    deadline = time.monotonic() + ANSWER_WITHIN
    while _readyz(server) != 503:
        assert time.monotonic() < deadline, "/readyz still 200 with the service cut off"
        time.sleep(0.1)
    for attempt in range(3):
        for n, key in enumerate(keys):
            started = time.monotonic()
            response = _post(ledger, server, key, f"during-{attempt}-{n}")
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert response.json()["code"] == "unavailable"
            assert time.monotonic() - started < REFUSE_WITHIN
    assert _readyz(server) == 503
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    proxy.restore()
    _wait_ready(server)
    for n, key in enumerate(keys):
        assert _post(ledger, server, key, f"after-{n}").status_code == 200
    assert server.proc is not None and server.proc.poll() is None
    for key in keys:
        ledger.retry_all(server.url, key)
    check_exactly_once(ledger, server.url, server.admin)


@pytest.fixture
def pg_proxy() -> Iterator[tuple[TcpProxy, str]]:
    """A proxy to PostgreSQL and a database URL (own schema) that goes through it."""
    with postgres_schema() as url, tcp_proxy("127.0.0.1", 5432) as proxy:
        yield proxy, url.replace("@127.0.0.1:5432/", f"@{proxy.address}/", 1)


def test_postgres_outage_gives_503_and_recovers(
    tmp_path: Path, pg_proxy: tuple[TcpProxy, str]
) -> None:
    proxy, url = pg_proxy
    assert proxy.address in url
    ledger = Ledger()
    with running_server(tmp_path / "data", {"TIDINGS_DATABASE_URL": url}) as server:
        warm = server.create_source("warm")
        cold = server.create_source("cold")
        _check_outage(ledger, server, proxy, warm, cold)
    assert proxy.connections > 0


def test_redis_outage_gives_503_and_recovers(tmp_path: Path) -> None:
    redis_url()  # skip locally (fail under CI) when Redis is not running
    with tcp_proxy("127.0.0.1", 6379) as proxy:
        env = {"TIDINGS_BUS_URL": f"redis://{proxy.address}/0"}
        with running_server(tmp_path / "data", env) as server:
            _check_outage(ledger := Ledger(), server, proxy, server.create_source("bus"))
            assert ledger.acked
