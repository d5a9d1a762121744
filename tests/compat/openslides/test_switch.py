"""The routes the OpenSlides mode answers differently: which handler, and the original's error
shapes around them."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tidings.compat.openslides.os3.mode import Mode
from tidings.compat.openslides.switch import METHODS, switch


async def _off(request: Request) -> Response:
    return Response(b"off")


async def _broken(request: Request, mode: Mode) -> Response:
    raise KeyError("a bug")


def _client(on: bool) -> TestClient:
    app = Starlette(routes=[Route("/r", switch(_off, _broken), methods=list(METHODS))])
    app.state.openslides = object() if on else None
    return TestClient(app, raise_server_exceptions=False)


def test_without_the_mode_the_tidings_handler_answers() -> None:
    assert _client(on=False).get("/r").text == "off"
    response = _client(on=False).put("/r")
    assert response.status_code == 405


def test_a_bug_in_the_mode_is_the_originals_internal_error_line() -> None:
    response = _client(on=True).get("/r")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"type": "InternalError", "msg": "Ups, something went wrong!"}
    }
