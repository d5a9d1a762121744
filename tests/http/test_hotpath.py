"""HotPath serves its routes past Starlette's layers with the same answers, headers and error
handling, and hands everything else to the app unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.errors import Conflict
from tidings.http.hotpath import HotPath
from tidings.http.middleware import SECURITY_HEADERS
from tidings.http.problems import HANDLERS

SECURITY = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


class Marked:
    """Middleware that marks every answer it wraps, to show which requests passed Starlette."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def marked(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-layers", b"starlette")]
            await send(message)

        await self.app(scope, receive, marked)  # type: ignore[arg-type]


async def echo(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"{request.method} {request.app.state.greeting} {body.decode()}")


async def conflict(request: Request) -> Response:
    raise Conflict("that name is taken")


async def broken(request: Request) -> Response:
    raise RuntimeError("a bug")


def _app(started: list[str]) -> HotPath:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started.append("up")
        yield
        started.append("down")

    routes = [
        Route("/echo", echo, methods=["GET", "POST"]),
        Route("/conflict", conflict, methods=["POST"]),
        Route("/broken", broken, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Marked)],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.greeting = "hello"
    hot = {("POST", "/echo"): echo, ("POST", "/conflict"): conflict, ("POST", "/broken"): broken}
    return HotPath(app, hot)


def _client(started: list[str] | None = None) -> TestClient:
    return TestClient(_app(started if started is not None else []), raise_server_exceptions=False)


def test_a_hot_route_is_answered_by_its_handler_past_starlettes_layers() -> None:
    with _client() as client:
        hot = client.post("/echo", content=b"body")
        cold = client.get("/echo")
    assert (hot.status_code, hot.text) == (200, "POST hello body")
    assert "x-layers" not in hot.headers
    assert (cold.status_code, cold.text) == (200, "GET hello ")
    assert cold.headers["x-layers"] == "starlette"


def test_hot_and_routed_answers_carry_the_same_security_headers() -> None:
    with _client() as client:
        hot = client.post("/echo")
        cold = client.get("/echo")
        missing = client.get("/nowhere")
    for response in (hot, cold, missing):
        for name, value in SECURITY.items():
            assert response.headers[name] == value
        assert response.headers.get_list("content-security-policy") == [
            SECURITY["content-security-policy"]
        ]


def test_a_domain_error_on_a_hot_route_is_the_same_problem_as_on_a_routed_one() -> None:
    with _client() as client:
        hot = client.post("/conflict")
    assert hot.status_code == 409
    assert hot.headers["content-type"] == "application/problem+json"
    assert hot.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "that name is taken",
        "code": "conflict",
    }
    assert hot.headers["x-frame-options"] == "DENY"


def test_a_bug_on_a_hot_route_is_a_500_problem_with_security_headers() -> None:
    with _client() as client:
        response = client.post("/broken")
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_other_methods_and_paths_reach_the_app() -> None:
    with _client() as client:
        wrong_method = client.put("/echo")
        unknown = client.post("/other")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["x-layers"] == "starlette"
    assert unknown.status_code == 404
    assert unknown.headers["x-layers"] == "starlette"


def test_lifespan_and_state_belong_to_the_wrapped_app() -> None:
    started: list[str] = []
    app = _app(started)
    assert app.state is app.app.state
    assert app.state.greeting == "hello"
    with TestClient(app):
        assert started == ["up"]
    assert started == ["up", "down"]
