"""The route table's building blocks: one entry per route, made into Starlette routes and the
hot map."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tidings.http.routing import Endpoint, endpoint, hot_routes, starlette_routes


async def one(request: Request) -> Response:
    return PlainTextResponse("one")


async def two(request: Request) -> Response:
    return PlainTextResponse("two")


def test_an_endpoint_names_its_path_handler_and_methods_once() -> None:
    entry = endpoint("/x", one, "POST", "OPTIONS", hot=True)
    assert entry == Endpoint("/x", one, ("POST", "OPTIONS"), True)
    assert endpoint("/x", one, "GET").hot is False


def test_every_entry_becomes_a_starlette_route_in_table_order() -> None:
    mount = Mount("/static", app=StaticFiles(directory="."))
    plain = Route("/plain", two, methods=["GET"])
    routes = starlette_routes(
        [endpoint("/a", one, "POST", hot=True), plain, endpoint("/b", two, "GET", "DELETE"), mount]
    )
    assert [getattr(r, "path", None) for r in routes] == ["/a", "/plain", "/b", "/static"]
    first, _, third, _ = routes
    assert isinstance(first, Route) and isinstance(third, Route)
    assert first.endpoint is one and first.methods == {"POST"}
    # Starlette answers HEAD wherever GET is allowed.
    assert third.endpoint is two and third.methods == {"GET", "HEAD", "DELETE"}
    # Entries that are already routes are kept as they are.
    assert routes[1] is plain and routes[3] is mount


def test_the_hot_map_holds_hot_endpoints_only_one_key_per_method() -> None:
    table = [
        endpoint("/a", one, "POST", "OPTIONS", hot=True),
        endpoint("/a", two, "GET"),
        Route("/r", two, methods=["POST"]),
        endpoint("/c", two, "POST", hot=True),
    ]
    assert hot_routes(table) == {("POST", "/a"): one, ("OPTIONS", "/a"): one, ("POST", "/c"): two}


def test_an_empty_table_has_no_routes_and_nothing_hot() -> None:
    assert starlette_routes([]) == []
    assert hot_routes(iter([])) == {}
