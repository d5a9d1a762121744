"""The OpenAPI document is generated from the route table: a walk of the table finds every
route (path and method) in the served /openapi.json, described or minimal, and /docs renders
the descriptions' Markdown."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tidings.http.apidocs import page
from tidings.http.openapi import document, openapi_path
from tidings.http.routing import Endpoint, endpoint, starlette_routes
from tidings.routes import ROUTES, TABLE


def _table() -> Iterator[tuple[str, str]]:
    """Every (path, method) the table declares, as OpenAPI spells them."""
    for entry in TABLE:
        if isinstance(entry, Endpoint):
            yield from ((openapi_path(entry.path), m.lower()) for m in entry.methods)
        elif isinstance(entry, Route):
            methods = entry.methods or set()
            yield from ((openapi_path(entry.path), m.lower()) for m in methods if m != "HEAD")
        elif isinstance(entry, Mount):
            yield (entry.path + "/{path}", "get")


def test_every_route_of_the_table_is_in_the_served_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    missing = [(p, m) for p, m in _table() if m not in paths.get(p, {})]
    assert missing == []
    for must in ("/v1/batch", "/o/token/", "/api/track/", "/event", "/system/autoupdate"):
        assert must in paths
    assert "/api/events/{namespace}/{name}" in paths
    assert "/api/1.0/adopter/{key}" in paths


def test_operation_ids_are_unique() -> None:
    doc = document(ROUTES)
    ids = [op["operationId"] for methods in doc["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))


async def _undescribed(request: Request) -> Response:
    """Say hello to {who}."""
    return PlainTextResponse("hi")


def test_a_route_added_without_a_description_is_listed_with_a_minimal_entry() -> None:
    routes = starlette_routes([endpoint("/hello/{who}", _undescribed, "GET", "POST")])
    paths = document(routes)["paths"]
    assert set(paths["/hello/{who}"]) == {"get", "post"}
    op = paths["/hello/{who}"]["get"]
    assert op["summary"] == "Say hello to {who}."
    assert op["parameters"] == [
        {"name": "who", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert op["operationId"] != paths["/hello/{who}"]["post"]["operationId"]


def test_a_described_entry_keeps_its_description_and_gets_its_path_parameters() -> None:
    doc = {
        "summary": "Read one thing.",
        "tags": ["native"],
        "responses": {"200": {"description": "ok"}},
    }
    routes = starlette_routes([endpoint("/things/{id:int}", _undescribed, "GET", doc=doc)])
    op = document(routes)["paths"]["/things/{id}"]["get"]
    assert op["summary"] == "Read one thing."
    assert op["parameters"][0]["name"] == "id"
    assert op["responses"] == {"200": {"description": "ok"}}


def test_docs_render_markdown_not_literal_backticks(client: TestClient) -> None:
    text = client.get("/docs").text
    assert "`" not in text
    assert "<code>prop.KEY=VALUE</code>" in text
    assert "POST /v1/batch" in text
    # Request bodies are shown.
    assert "Request body" in text


def test_raw_html_in_a_description_is_shown_as_text() -> None:
    doc = document(ROUTES)
    doc["paths"]["/healthz"]["get"]["description"] = "<script>alert(1)</script> *ok*"
    html = page(doc)
    assert "<script>" not in html
    assert "<em>ok</em>" in html
