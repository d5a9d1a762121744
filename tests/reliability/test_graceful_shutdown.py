"""SIGTERM with ingest requests in flight: each is answered, and the write queue is drained.

Complements tests/http/test_shutdown.py (which checks that open live streams end). Here the
writer is stalled behind a held SQLite write lock, so requests are still waiting for their
commit when SIGTERM arrives; the server must keep them, commit them once the lock is gone,
answer them, and only then exit.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.ledger import Ledger, check_exactly_once, stored
from tests.reliability.stall import held_write_lock, wait_for_depth
from tests.server import running_server

pytestmark = [pytest.mark.serial, pytest.mark.timeout(300)]

IN_FLIGHT = 6
ABANDONED = 2


def _event(message_id: str) -> dict[str, Any]:
    return {"namespace": "shutdown", "name": "tick", "message_id": message_id}


def _post_in_background(
    url: str, key: str, ledger: Ledger, events: list[dict[str, Any]]
) -> threading.Thread:
    def post() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            ledger.post(http, key, events)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def _send_without_reading(url: str, key: str, events: list[dict[str, Any]]) -> socket.socket:
    """A whole ingest request on a raw socket whose answer is never read: a client that
    gives up (and hangs up) while its request waits for the commit."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"events": events}).encode()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        b"POST /api/v1/events HTTP/1.1\r\nHost: %s\r\nX-Write-Key: %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (host.encode(), key.encode(), len(body), body)
    )
    return sock


def _wait_until_refusing(url: str, timeout: float = 10) -> None:
    """Wait until the server stopped accepting connections (its first shutdown step)."""
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.05)
    raise AssertionError("still accepting connections after SIGTERM")


def test_sigterm_answers_in_flight_requests_and_commits_the_queue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ledger = Ledger()
    with running_server(data) as server:
        assert server.proc is not None
        key = server.create_source("drain")
        with held_write_lock(data / "tidings.db"):
            waiting = [
                _post_in_background(server.url, key, ledger, [_event(f"w{n}-a"), _event(f"w{n}-b")])
                for n in range(IN_FLIGHT)
            ]
            gone = [[_event(f"gone{n}")] for n in range(ABANDONED)]
            sockets = [_send_without_reading(server.url, key, events) for events in gone]
            wait_for_depth(server.url, 2 * IN_FLIGHT + ABANDONED)
            for sock, events in zip(sockets, gone, strict=True):
                sock.close()
                ledger.unanswered(events)
            server.proc.send_signal(signal.SIGTERM)
            _wait_until_refusing(server.url)
            # Still shutting down: held up by the requests waiting for their commit.
            assert server.proc.poll() is None
            with httpx.Client(base_url=server.url, timeout=5) as http:
                late = ledger.post(http, key, [_event("late")])
            # A new request is refused (no connection, or a 503), never half-taken.
            assert late is None or late.status_code == 503, late
        for thread in waiting:
            thread.join(30)
        assert server.proc.wait(30) == 0
    # Every request that was in flight at SIGTERM got its commit and its answer.
    assert ledger.statuses["200"] == IN_FLIGHT, ledger.statuses
    assert ledger.statuses["500"] == 0

    with running_server(data) as server:
        # The abandoned requests' events were committed during shutdown (queue drained).
        present = {message_id for message_id, _ in stored(server.url, server.admin)}
        assert {f"gone{n}" for n in range(ABANDONED)} <= present
        assert "late" not in present
        ledger.retry_all(server.url, key)
        check_exactly_once(ledger, server.url, server.admin)
