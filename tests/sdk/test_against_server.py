"""The SDK against a real running Tidings: what it sends is readable through the native API,
and retries after a lost or refused answer neither lose nor duplicate events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.server import Server, running_server
from tidings.sdk import Client, HTTPBackend, Tracker

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("sdk") / "data") as started:
        yield started


def _events(server: Server, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/api/v1/events", params={"limit": "10000", **params}, auth=server.admin
    )
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_events_sent_with_the_client_are_readable_through_the_native_api(server) -> None:
    key = server.create_source("sdk-client")
    client = Client(server.url, key, flush_at=100, flush_interval=0.05)
    ids = [
        client.track("sdk", "order", value=i, properties={"i": i}, user_id="u1", session_id="s1")
        for i in range(250)
    ]
    assert client.shutdown(timeout=30)
    stored = _events(server, source="sdk-client")
    assert sorted(e["message_id"] for e in stored) == sorted(ids)
    assert sorted(e["value"] for e in stored) == list(range(250))
    assert {(e["namespace"], e["name"], e["user_id"], e["session_id"]) for e in stored} == {
        ("sdk", "order", "u1", "s1")
    }


def test_tracker_with_the_http_backend_delivers_emitted_events(server) -> None:
    key = server.create_source("sdk-tracker")
    backend = HTTPBackend(server.url, key, namespace="lms", flush_interval=0.05)
    tracker = Tracker({"tidings": backend})
    with tracker.context("request", {"user_id": 7}):
        tracker.emit("edx.course.enrolled", {"course": "demo"})
    assert backend.shutdown(timeout=30)
    (event,) = _events(server, source="sdk-tracker")
    assert (event["namespace"], event["name"], event["user_id"]) == (
        "lms",
        "edx.course.enrolled",
        "7",
    )
    assert event["properties"] == {"course": "demo"}


class FlakyProxy:
    """Forwards to Tidings, but the first answer is lost (committed, then 503) and the
    second request is refused (503 without forwarding)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with proxy.lock:
                    proxy.seen += 1
                    number = proxy.seen
                forwarded = None
                if number != 2:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("content-type", "content-encoding", "x-write-key")
                    }
                    forwarded = httpx.post(
                        proxy.upstream + self.path, content=body, headers=headers, timeout=30
                    )
                if number in (1, 2):
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                assert forwarded is not None
                self.send_response(forwarded.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(forwarded.content)))
                self.end_headers()
                self.wfile.write(forwarded.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_server_answering_503_then_200_loses_and_duplicates_nothing(server) -> None:
    key = server.create_source("sdk-flaky")
    errors: list[Exception] = []
    with FlakyProxy(server.url) as proxy:
        client = Client(
            proxy.url,
            key,
            flush_at=40,
            flush_interval=0.05,
            retry_backoff=0.01,
            on_error=lambda exc, batch: errors.append(exc),
        )
        ids = [client.track("sdk", "tick", properties={"i": i}) for i in range(100)]
        assert client.shutdown(timeout=30)
    assert errors == []
    assert proxy.seen >= 3
    stored = _events(server, source="sdk-flaky")
    assert len(stored) == 100
    assert sorted(e["message_id"] for e in stored) == sorted(ids)
