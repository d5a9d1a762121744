"""One route table: each entry names its path, handler and methods once, and whether it is hot.

Hot entries (the ingest paths and the live stream) are also served by :class:`HotPath`, past
Starlette's per-request layers; every entry, hot or not, is an ordinary Starlette route too,
so the OpenAPI document, the route matrix and anything that walks the app see one map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.routing import BaseRoute, Route

from tidings.http.hotpath import Handler


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    handler: Handler
    methods: tuple[str, ...]
    hot: bool = False


def endpoint(path: str, handler: Handler, *methods: str, hot: bool = False) -> Endpoint:
    return Endpoint(path, handler, methods, hot)


Entry = Endpoint | BaseRoute


def starlette_routes(table: Iterable[Entry]) -> list[BaseRoute]:
    return [
        Route(e.path, e.handler, methods=list(e.methods)) if isinstance(e, Endpoint) else e
        for e in table
    ]


def hot_routes(table: Iterable[Entry]) -> dict[tuple[str, str], Handler]:
    return {
        (method, e.path): e.handler
        for e in table
        if isinstance(e, Endpoint) and e.hot
        for method in e.methods
    }
