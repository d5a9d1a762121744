"""Admission control at the edge: bodies in flight against a byte budget (declared ones before
a byte is read, chunked ones as they arrive), requests against a cap with a reserve for the
probes; refusals are 503 problems with Retry-After (issue 20)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tidings.errors import Overloaded
from tidings.http.admission import PROBE_RESERVE, Admission
from tidings.http.body import read_body
from tidings.http.edge import Edge
from tidings.http.problems import HANDLERS

BUDGET = 1000


async def _echo(request: Request) -> JSONResponse:
    body = await read_body(request, 10_000)
    return JSONResponse({"size": len(body)})


async def _ok(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _edge(admission: Admission) -> Edge:
    app = Starlette(
        routes=[
            Route("/in", _echo, methods=["POST"]),
            Route("/healthz", _ok),
            Route("/other", _ok),
        ],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
    )
    return Edge(app, {}, admission)


def _scope(path: str, headers: dict[str, str], method: str = "POST") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
        "scheme": "http",
        "http_version": "1.1",
    }


class Call:
    """One request in flight: its body is fed by the test, its answer collected."""

    def __init__(self, app: Edge, scope: dict[str, Any]) -> None:
        self.chunks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.read = 0
        self.status: int | None = None
        self.headers: dict[bytes, bytes] = {}
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        message = await self.chunks.get()
        self.read += 1
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message["headers"])

    def feed(self, body: bytes, more: bool) -> None:
        self.chunks.put_nowait({"type": "http.request", "body": body, "more_body": more})


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_a_declared_body_past_the_budget_is_refused_before_it_is_read() -> None:
    async def scenario() -> None:
        admission = Admission(BUDGET, 100, 10_000)
        app = _edge(admission)
        first = Call(app, _scope("/in", {"content-length": "800"}))
        await _settle()
        assert admission.inflight_bytes == 800
        second = Call(app, _scope("/in", {"content-length": "300"}))
        await second.task
        assert second.status == 503
        assert second.headers[b"retry-after"] == b"1"
        assert second.headers[b"content-type"] == b"application/problem+json"
        assert second.read == 0  # not one byte of the body was asked for
        first.feed(b"x" * 800, more=False)
        await first.task
        assert first.status == 200
        assert admission.inflight_bytes == 0 and admission.requests == 0
        third = Call(app, _scope("/in", {"content-length": "300"}))
        third.feed(b"x" * 300, more=False)
        await third.task
        assert third.status == 200

    asyncio.run(scenario())


def test_a_chunked_body_is_counted_as_it_arrives() -> None:
    async def scenario() -> None:
        admission = Admission(BUDGET, 100, 10_000)
        app = _edge(admission)
        holder = Call(app, _scope("/in", {"content-length": "600"}))
        await _settle()
        chunked = Call(app, _scope("/in", {"transfer-encoding": "chunked"}))
        chunked.feed(b"y" * 300, more=True)
        await _settle()
        assert admission.inflight_bytes == 900
        chunked.feed(b"y" * 300, more=False)
        await chunked.task
        assert chunked.status == 503
        assert admission.inflight_bytes == 600
        holder.feed(b"x" * 600, more=False)
        await holder.task
        assert admission.inflight_bytes == 0

    asyncio.run(scenario())


def test_a_compressed_body_counts_as_much_as_it_may_inflate_to() -> None:
    admission = Admission(BUDGET * 100, 100, 10_000)
    ticket = admission.enter(_scope("/in", {"content-length": "50", "content-encoding": "gzip"}))
    assert ticket.bytes == 10_000
    admission.leave(ticket)
    assert admission.inflight_bytes == 0


def test_requests_past_the_cap_get_503_but_probes_have_a_reserve() -> None:
    admission = Admission(BUDGET, 2, 10_000)
    held = [admission.enter(_scope("/other", {}, "GET")) for _ in range(2)]
    with pytest.raises(Overloaded):
        admission.enter(_scope("/other", {}, "GET"))
    probes = [admission.enter(_scope("/healthz", {}, "GET")) for _ in range(PROBE_RESERVE)]
    with pytest.raises(Overloaded):
        admission.enter(_scope("/healthz", {}, "GET"))
    for ticket in held + probes:
        admission.leave(ticket)
    assert admission.requests == 0


def test_a_zero_budget_turns_admission_by_bytes_off() -> None:
    admission = Admission(0, 0, 10_000)
    tickets = [admission.enter(_scope("/in", {"content-length": "5000"})) for _ in range(10)]
    assert admission.inflight_bytes == 50_000
    for ticket in tickets:
        admission.leave(ticket)
