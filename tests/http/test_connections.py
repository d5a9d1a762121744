"""Connection and request limits, with raw sockets against a real ``tidings serve`` (issue 20):
a request head has a deadline and a size limit (431), a body that stops gets 408, an idle
keep-alive connection is closed, idle connections past the cap make room for ones that send
requests, and requests past the concurrency cap get 503 while the probes still answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import Server, running_server

pytestmark = [pytest.mark.timeout(120)]

LIMITS = {
    "TIDINGS_HEADER_TIMEOUT_S": "1",
    "TIDINGS_BODY_TIMEOUT_S": "1",
    "TIDINGS_KEEPALIVE_TIMEOUT_S": "1",
    "TIDINGS_MAX_CONNECTIONS": "40",
    "TIDINGS_MAX_CONCURRENT_REQUESTS": "3",
    "TIDINGS_MAX_HEADER_BYTES": "8192",
}
#: Longest a limit may take to act in these tests (each is 1 s): generous for a busy box.
WAIT = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("limits") / "data", LIMITS) as started:
        yield started


def _connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=WAIT)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or WAIT passes)."""
    chunks = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


def test_a_header_over_the_limit_gets_431(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        assert _status(_answer(sock)) == 431


def test_a_header_trickling_past_the_limit_gets_431(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
        for _ in range(3):
            sock.sendall(b"a" * 4000)
        assert _status(_answer(sock)) == 431


def test_a_head_that_never_ends_is_closed_with_408(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        assert _status(_answer(sock)) == 408


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        assert _answer(sock) == b""


def test_a_body_that_stops_gets_408(server: Server) -> None:
    key = server.create_source("slow-body")
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"X-Write-Key: " + key.encode() + b'\r\nContent-Length: 100\r\n\r\n{"name":'
        )
        assert _status(_answer(sock)) == 408
    assert "Traceback" not in server.log.read_text()


def test_an_idle_keep_alive_connection_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        data = _answer(sock)  # returns once the server closes the kept-alive connection
        assert _status(data) == 200


def test_idle_connections_past_the_cap_make_room_for_requests(server: Server) -> None:
    key = server.create_source("crowded")
    idle = [_connect(server) for _ in range(120)]
    try:
        started = time.monotonic()
        with _connect(server) as sock:
            sock.sendall(HEALTHZ)
            assert _status(_answer(sock)) == 200
        answer = httpx.post(
            f"{server.url}/api/v1/events",
            json={"namespace": "n", "name": "e"},
            headers={"X-Write-Key": key},
            timeout=WAIT,
        )
        assert answer.status_code in (200, 201, 202), answer.text
        # Answered at once, not after some idle connection's own deadline.
        assert time.monotonic() - started < 1.0 + 0.5 * WAIT
    finally:
        for sock in idle:
            sock.close()


def test_requests_past_the_cap_get_503_and_the_probes_still_answer(server: Server) -> None:
    streams = []
    try:
        # Live streams hold their request slot for as long as they are open.
        for _ in range(3):
            sock = _connect(server)
            sock.sendall(
                b"GET /api/v1/live HTTP/1.1\r\nHost: t\r\nAuthorization: Basic "
                + _basic(*server.admin)
                + b"\r\n\r\n"
            )
            assert sock.recv(12) == b"HTTP/1.1 200"
            streams.append(sock)
        refused = httpx.get(f"{server.url}/api/v1/events", auth=server.admin, timeout=WAIT)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"{server.url}/healthz", timeout=WAIT).status_code == 200
        assert httpx.get(f"{server.url}/readyz", timeout=WAIT).status_code == 200
    finally:
        for sock in streams:
            sock.close()


def _basic(username: str, password: str) -> bytes:
    import base64

    return base64.b64encode(f"{username}:{password}".encode())


def test_the_limits_are_documented(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in LIMITS:
        assert f"`{name}`" in readme, name
    assert "`TIDINGS_MAX_INFLIGHT_BYTES`" in readme
