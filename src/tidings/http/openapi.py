"""The OpenAPI 3.1 document (``/openapi.json``), generated from the app's route table.

Every route is listed: an entry's own description (``endpoint(..., doc=...)``) when it has
one, else a minimal entry built from the route itself (its path parameters and its handler's
docstring), so a route added without a description still appears and the walk test in
tests/http/test_openapi.py stays true.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from tidings import __version__
from tidings.http.deps import limit_anonymous
from tidings.http.openapi_parts import (
    EVENT_IN,
    EVENT_OUT,
    PROBLEM,
    SECURITY_SCHEMES,
    TAGS,
)
from tidings.http.routing import DocumentedRoute, Operation

_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
#: A route's methods as Starlette reports them include HEAD for every GET route.
_IMPLIED = "HEAD"


def document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The whole document: one operation per (path, method) of ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for path, method, operation in _walk(routes):
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tidings API",
            "version": __version__,
            "description": "The native API (ingest, list, aggregate, erase, live) and every "
            "compat API at its original path. Native writes use a source write key; reads use "
            "HTTP Basic with a viewer or admin user, a user's API token, or an OAuth2 token "
            "with scope read (aggregation for aggregates). Native errors are RFC 9457 "
            "problem+json; compat APIs answer in their system's own error shape.",
        },
        "tags": TAGS,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {"Problem": PROBLEM, "EventIn": EVENT_IN, "Event": EVENT_OUT},
        },
        "paths": paths,
    }


def openapi_path(path: str) -> str:
    """Starlette's ``{id:int}`` is OpenAPI's ``{id}``."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _walk(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for route in routes:
        if isinstance(route, DocumentedRoute):
            methods = route.declared
            for method in methods:
                yield _finish(route.path, method, route.doc or _minimal(route), len(methods) > 1)
        elif isinstance(route, Route):
            methods = tuple(sorted(m for m in route.methods or () if m != _IMPLIED))
            for method in methods:
                yield _finish(route.path, method, _minimal(route, "dashboard"), len(methods) > 1)
        elif isinstance(route, Mount):
            yield _finish(
                route.path + "/{path}",
                "GET",
                {"summary": f"Static files under {route.path}.", "tags": ["dashboard"]},
                False,
            )


def _minimal(route: Route, tag: str = "other") -> Operation:
    """What the route itself says: its handler's first docstring line."""
    text = inspect.getdoc(route.endpoint) or ""
    summary = text.split("\n\n", 1)[0].replace("\n", " ") or f"{route.path} (not described)."
    return {"summary": summary, "tags": [tag]}


def _with_guard(responses: dict[str, Any]) -> dict[str, Any]:
    """``responses`` with the guard's 400: a NUL or lone surrogate in a path, query or
    credential is refused with problem+json in front of every route (http/text_guard.py),
    whatever the route's own 400s look like. (An operation that documents no 400 falls to its
    ``default`` answer or says nothing of bad input.)"""
    if "400" not in responses:
        return responses
    bad = dict(responses["400"])
    content = dict(bad.get("content", {}))
    content.setdefault(
        "application/problem+json", {"schema": {"$ref": "#/components/schemas/Problem"}}
    )
    bad["content"] = content
    return {**responses, "400": bad}


def _finish(
    path: str, method: str, doc: Operation, shared: bool
) -> tuple[str, str, dict[str, Any]]:
    """Fill what every operation needs: an operation id unique per method, the path's
    parameters, and at least one response."""
    spec = openapi_path(path)
    verb = method.lower()
    operation = dict(doc)
    slug = re.sub(r"[^A-Za-z0-9]+", "_", spec).strip("_") or "root"
    given = operation.get("operationId")
    if given is None:
        operation["operationId"] = f"{verb}_{slug}"
    elif shared:
        operation["operationId"] = f"{given}_{verb}"
    declared = {p["name"] for p in operation.get("parameters", ()) if p.get("in") == "path"}
    missing = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(path)
        if name not in declared
    ]
    if missing:
        operation["parameters"] = [*missing, *operation.get("parameters", ())]
    operation.setdefault("tags", ["other"])
    operation.setdefault("responses", {"default": {"description": "See the summary."}})
    operation["responses"] = _with_guard(operation["responses"])
    if verb in ("get", "options"):
        # A body on these is not read; OpenAPI tools would send one otherwise.
        operation.pop("requestBody", None)
    return spec, verb, operation


async def openapi_json(request: Request) -> Response:
    await limit_anonymous(request)
    return JSONResponse(served_document(request))


def served_document(request: Request) -> dict[str, Any]:
    """The document of the app serving ``request``, built once per app."""
    state = request.app.state
    cached: dict[str, Any] | None = getattr(state, "openapi_document", None)
    if cached is None:
        cached = document(request.app.routes)
        state.openapi_document = cached
    return cached
