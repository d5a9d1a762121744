"""The app's one route table: each route declared once, hot entries also ordinary Starlette
routes, and hot paths answered past Starlette exactly as Starlette would answer them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tidings.app import create_app
from tidings.config import Settings
from tidings.core.auth import new_secret, secret_hash
from tidings.http.deps import Runtime
from tidings.http.hotpath import HotPath
from tidings.http.middleware import SecurityHeaders
from tidings.http.routing import Endpoint
from tidings.model.records import EventFilter
from tidings.routes import HOT_ROUTES, ROUTES, TABLE


def _declared() -> Iterator[tuple[str, str]]:
    for entry in TABLE:
        if isinstance(entry, Endpoint):
            yield from ((method, entry.path) for method in entry.methods)
        elif isinstance(entry, Route):
            # Starlette adds HEAD to GET routes by itself; it is not a declaration.
            methods = entry.methods or set()
            yield from ((m, entry.path) for m in methods if m != "HEAD" or "GET" not in methods)


def test_no_method_and_path_is_declared_twice() -> None:
    twice = [pair for pair, n in Counter(_declared()).items() if n > 1]
    assert twice == []


def test_every_hot_entry_is_also_a_starlette_route_with_the_same_handler() -> None:
    routes = [r for r in ROUTES if isinstance(r, Route)]
    for (method, path), handler in HOT_ROUTES.items():
        serving = [r for r in routes if r.path == path and method in (r.methods or ())]
        assert [r.endpoint for r in serving] == [handler], (method, path)


def test_the_hot_map_is_the_tables_hot_entries() -> None:
    hot = {
        (method, e.path) for e in TABLE if isinstance(e, Endpoint) and e.hot for method in e.methods
    }
    assert set(HOT_ROUTES) == hot
    assert ("POST", "/api/v1/events") in hot
    assert ("GET", "/api/v1/live") in hot


def test_the_dashboard_comes_last_with_its_static_files_a_mount() -> None:
    assert isinstance(ROUTES[-1], Mount)
    assert ROUTES[-1].path == "/static"


class Either:
    """One ASGI app with two ways in: requests marked ``x-via: starlette`` go through Starlette
    as every non-hot request does, the rest as served (hot paths past Starlette). One app
    and one event loop, so both ways share the running writer."""

    def __init__(self, app: HotPath) -> None:
        self.hot = app
        self.routed = SecurityHeaders(app.app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routed = scope["type"] == "http" and (b"x-via", b"starlette") in scope["headers"]
        await (self.routed if routed else self.hot)(scope, receive, send)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    """The app; anonymous rate limits are off, so many refused requests get the same answer."""
    settings = Settings(
        data_dir=str(tmp_path / "data"), admin_password="admin-password-1", anonymous_rate_limit=0
    )
    app: HotPath = create_app(settings)
    with TestClient(Either(app), raise_server_exceptions=False) as client:
        yield client, app.state.runtime


VIA_STARLETTE = {"x-via": "starlette"}


def _same(client: TestClient, method: str, path: str, headers: dict[str, str], **kw: Any) -> None:
    a = client.request(method, path, headers=headers, **kw)
    b = client.request(method, path, headers={**headers, **VIA_STARLETTE}, **kw)
    assert (a.status_code, a.content) == (b.status_code, b.content), (method, path)
    assert a.headers.multi_items() == b.headers.multi_items(), (method, path)


def test_hot_paths_answer_strangers_as_starlette_does(
    served: tuple[TestClient, Runtime],
) -> None:
    client, _ = served
    preflight = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    for method, path in HOT_ROUTES:
        if method == "OPTIONS":
            _same(client, method, path, preflight)
        else:
            _same(client, method, path, {}, content=b'{"namespace": "a", "name": "b"}')


def test_hot_ingest_refuses_bad_input_as_starlette_does(
    served: tuple[TestClient, Runtime],
) -> None:
    client, rt = served
    key = new_secret("wk_")
    rt.storage.create_source("app", secret_hash(key), None)
    auth = {"X-Write-Key": key, "Content-Type": "application/json"}
    for body in (b"not json", b'{"name": "no namespace"}', b"[]"):
        _same(client, "POST", "/api/v1/events", auth, content=body)


def test_hot_ingest_stores_as_starlette_does(served: tuple[TestClient, Runtime]) -> None:
    client, rt = served
    key = new_secret("wk_")
    rt.storage.create_source("app", secret_hash(key), None)
    answers = []
    for via, message_id in (({}, "m-hot"), (VIA_STARLETTE, "m-routed")):
        response = client.post(
            "/api/v1/events",
            json={"namespace": "n", "name": "e", "message_id": message_id},
            headers={"X-Write-Key": key, "Origin": "https://app.example", **via},
        )
        assert response.status_code == 200
        answers.append(response)
    assert [a.json()["accepted"] for a in answers] == [1, 1]
    assert answers[0].headers.keys() == answers[1].headers.keys()
    assert answers[0].json()["ids"][0] < answers[1].json()["ids"][0]
    assert answers[0].headers["access-control-allow-origin"] == "*"
    stored = rt.storage.list_events(EventFilter(source="app"), 0, 10)
    assert [e.message_id for e in stored] == ["m-hot", "m-routed"]
