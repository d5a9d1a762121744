"""Client against a mock transport: batching, gzip, retries, backoff, drops, flush, shutdown."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tidings.sdk import Client, DeliveryError, DroppedEvents
from tidings.sdk import client as client_module

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Records requests; answers with the queued statuses, then 200."""

    def __init__(self, answers: list[httpx.Response | Exception] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answers = list(answers or [])
        self.gate: threading.Event | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            self.gate.wait(30)
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0, "ids": []})

    def bodies(self) -> list[dict[str, Any]]:
        out = []
        for request in self.requests:
            raw = request.content
            if request.headers.get("content-encoding") == "gzip":
                raw = gzip.decompress(raw)
            out.append(json.loads(raw))
        return out

    def events(self) -> list[dict[str, Any]]:
        return [e for body in self.bodies() for e in body["events"]]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(client_module, "_sleep", waits.append)
    return waits


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(server: Server, **options: Any) -> Client:
        options.setdefault("flush_interval", 60)
        client = Client(
            "http://tidings.test/", "wk_test", transport=httpx.MockTransport(server), **options
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.shutdown(timeout=5)


def _status(code: int, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return httpx.Response(code, json=body or {"detail": "no"}, headers=headers)


def test_events_go_in_gzip_batches_of_flush_at_with_the_write_key(make_client) -> None:
    server = Server()
    client = make_client(server, flush_at=2)
    for i in range(5):
        client.track("app", "open", properties={"i": i})
    assert client.flush(timeout=10)
    assert [len(b["events"]) for b in server.bodies()] == [2, 2, 1]
    request = server.requests[0]
    assert request.url == "http://tidings.test/api/v1/events"
    assert request.headers["x-write-key"] == "wk_test"
    assert request.headers["content-encoding"] == "gzip"
    assert [e["properties"]["i"] for e in server.events()] == [0, 1, 2, 3, 4]


def test_gzip_off_sends_plain_json(make_client) -> None:
    server = Server()
    client = make_client(server, gzip=False)
    client.track("app", "open")
    client.flush(timeout=10)
    assert "content-encoding" not in server.requests[0].headers
    assert json.loads(server.requests[0].content)["events"][0]["name"] == "open"


def test_flush_sends_before_the_interval_and_returns_true(make_client) -> None:
    server = Server()
    client = make_client(server, flush_interval=3600)
    client.track("app", "open")
    assert client.flush(timeout=10) is True
    assert len(server.events()) == 1
    assert client.queued == 0


def test_track_returns_the_message_id_that_is_sent(make_client) -> None:
    server = Server()
    client = make_client(server)
    generated = client.track("app", "open")
    client.track("app", "open", message_id="my-id-1")
    client.flush(timeout=10)
    assert [e["message_id"] for e in server.events()] == [generated, "my-id-1"]


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_retryable_status_is_retried_with_the_same_message_ids(make_client, sleeps, status):
    server = Server([_status(status)])
    errors: list[Any] = []
    client = make_client(server, on_error=lambda e, b: errors.append(e))
    client.track("app", "open")
    client.flush(timeout=10)
    first, second = server.bodies()
    assert first == second
    assert errors == []
    assert len(sleeps) == 1


def test_network_error_is_retried(make_client, sleeps) -> None:
    server = Server([httpx.ConnectError("refused")])
    client = make_client(server)
    client.track("app", "open")
    client.flush(timeout=10)
    assert len(server.requests) == 2


def test_retry_after_seconds_is_honoured(make_client, sleeps) -> None:
    server = Server([_status(503, {"Retry-After": "7"})])
    client = make_client(server)
    client.track("app", "open")
    client.flush(timeout=10)
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(make_client, sleeps) -> None:
    server = Server([_status(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})])
    client = make_client(server)
    client.track("app", "open")
    client.flush(timeout=10)
    assert sleeps == [0.0]


def test_backoff_doubles_up_to_the_maximum(make_client, sleeps, monkeypatch) -> None:
    monkeypatch.setattr(client_module.random, "random", lambda: 1.0)
    server = Server([_status(503)] * 5)
    client = make_client(server, retry_backoff=1.0, retry_backoff_max=5.0)
    client.track("app", "open")
    client.flush(timeout=10)
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_gives_up_after_max_retries_and_reports_the_batch(make_client, sleeps) -> None:
    server = Server([_status(503)] * 10)
    errors: list[tuple[Exception, list[dict[str, Any]]]] = []
    client = make_client(server, max_retries=2, on_error=lambda e, b: errors.append((e, b)))
    client.track("app", "open")
    client.flush(timeout=10)
    assert len(server.requests) == 3
    ((error, events),) = errors
    assert isinstance(error, DeliveryError) and error.status == 503
    assert events[0]["name"] == "open"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_client_error_is_not_retried_and_reported(make_client, sleeps, status) -> None:
    server = Server([_status(status)])
    errors: list[Exception] = []
    client = make_client(server, on_error=lambda e, b: errors.append(e))
    client.track("app", "open")
    client.flush(timeout=10)
    assert len(server.requests) == 1
    assert isinstance(errors[0], DeliveryError) and errors[0].status == status
    assert sleeps == []


def test_bad_events_named_by_the_server_are_reported_and_the_rest_resent(make_client) -> None:
    rejection = _status(400, detail="bad", errors=[{"field": "events.1.name", "message": "x"}])
    server = Server([rejection])
    errors: list[list[dict[str, Any]]] = []
    client = make_client(server, on_error=lambda e, b: errors.append(b))
    for i in range(3):
        client.track("app", "open", properties={"i": i})
    client.flush(timeout=10)
    assert [e["properties"]["i"] for e in server.bodies()[1]["events"]] == [0, 2]
    assert [e["properties"]["i"] for e in errors[0]] == [1]


def test_too_large_batch_is_split_in_halves(make_client) -> None:
    server = Server([_status(413)])
    client = make_client(server)
    for i in range(4):
        client.track("app", "open", properties={"i": i})
    client.flush(timeout=10)
    assert [len(b["events"]) for b in server.bodies()] == [4, 2, 2]


def test_full_queue_drops_without_blocking_and_reports_the_count(make_client) -> None:
    server = Server()
    server.gate = threading.Event()
    reported: list[Exception] = []
    client = make_client(
        server, flush_at=1, max_queue_size=2, on_error=lambda e, b: reported.append(e)
    )
    results = [client.track("app", "open", properties={"i": i}) for i in range(10)]
    # The first event may already be in flight (blocked on the gate), freeing one slot.
    assert 7 <= client.dropped <= 8
    assert results.count(None) == client.dropped
    server.gate.set()
    client.track("app", "after")
    client.flush(timeout=10)
    drops = [e for e in reported if isinstance(e, DroppedEvents)]
    assert sum(d.count for d in drops) == client.dropped


def test_shutdown_flushes_and_later_events_are_dropped(make_client) -> None:
    server = Server()
    client = make_client(server)
    client.track("app", "open")
    assert client.shutdown(timeout=10) is True
    assert len(server.events()) == 1
    assert client.track("app", "late") is None
    assert client.dropped == 1


def test_on_error_that_raises_does_not_stop_the_sender(make_client, caplog) -> None:
    def broken(exc: Exception, batch: list[Any]) -> None:
        raise RuntimeError("handler bug")

    server = Server([_status(400)])
    client = make_client(server, on_error=broken)
    client.track("app", "first")
    client.flush(timeout=10)
    client.track("app", "second")
    client.flush(timeout=10)
    assert server.events()[-1]["name"] == "second"
    assert "on_error raised" in caplog.text


def test_missing_write_key_is_refused() -> None:
    with pytest.raises(ValueError, match="write_key"):
        Client("http://x", "")
