"""One route table: each entry names its path, handler and methods once, and whether it is hot.

Hot entries (the ingest paths and the live stream) are also served by :class:`HotPath`, past
Starlette's per-request layers; every entry, hot or not, is an ordinary Starlette route too,
so the OpenAPI document, the route matrix and anything that walks the app see one map.

An entry may carry its OpenAPI description (``doc=``, an operation object: summary,
description, parameters, requestBody, responses, security). The document at /openapi.json is
generated from the routes; an entry without ``doc`` is still listed, with a minimal entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Route

from tidings.http.hotpath import Handler

#: An OpenAPI 3.1 operation object (http/openapi_parts.py has helpers that build one).
Operation = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    handler: Handler
    methods: tuple[str, ...]
    hot: bool = False
    doc: Operation | None = None


def endpoint(
    path: str, handler: Handler, *methods: str, hot: bool = False, doc: Operation | None = None
) -> Endpoint:
    return Endpoint(path, handler, methods, hot, doc)


Entry = Endpoint | BaseRoute


class DocumentedRoute(Route):
    """A Starlette route that keeps its entry's description for the OpenAPI document."""

    def __init__(self, entry: Endpoint) -> None:
        super().__init__(entry.path, entry.handler, methods=list(entry.methods))
        self.doc = entry.doc
        self.declared = entry.methods


def starlette_routes(table: Iterable[Entry]) -> list[BaseRoute]:
    return [DocumentedRoute(e) if isinstance(e, Endpoint) else e for e in table]


def hot_routes(table: Iterable[Entry]) -> dict[tuple[str, str], Handler]:
    return {
        (method, e.path): e.handler
        for e in table
        if isinstance(e, Endpoint) and e.hot
        for method in e.methods
    }
