"""The whole URL map: the native API, one line per compat slice, then the dashboard."""

from __future__ import annotations

from starlette.routing import BaseRoute

from tidings import compat
from tidings.http import routes as native
from tidings.http.hotpath import Handler
from tidings.http.routing import Entry, hot_routes, starlette_routes

TABLE: list[Entry] = [*native.ROUTES, *compat.ROUTES, *native.DASHBOARD]

ROUTES: list[BaseRoute] = starlette_routes(TABLE)
#: Served by http.hotpath.HotPath, past Starlette's layers.
HOT_ROUTES: dict[tuple[str, str], Handler] = hot_routes(TABLE)
