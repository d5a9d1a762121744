"""A short cut past Starlette's per-request layers for the ingest hot paths.

Profiling ``POST /api/v1/events`` under load showed about half the event loop's time in the
framework's middleware, routing and exception-wrapping layers rather than in Tidings. Routes
listed in HOT_ROUTES are served here directly: same handler, same error handlers, same
security headers, with one function call of overhead instead of seven layers. Everything else
(and every non-HTTP scope, including lifespan) goes to the Starlette app unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tidings.errors import TidingsError
from tidings.http.middleware import SECURITY_HEADERS, SecurityHeaders
from tidings.http.problems import server_error, tidings_error

Handler = Callable[[Request], Awaitable[Response]]


class HotPath:
    """ASGI app: ``(method, path)`` pairs in ``routes`` go straight to their handler."""

    def __init__(self, app: Starlette, routes: Mapping[tuple[str, str], Handler]) -> None:
        self.app = app
        self.routes = dict(routes)
        # Outside Starlette's error middleware, so its 500 answers carry the headers too.
        self._secured = SecurityHeaders(app)

    @property
    def state(self) -> State:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = (
            self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if handler is None:
            await self._secured(scope, receive, send)
            return
        scope["app"] = self.app
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except TidingsError as exc:
            response = await tidings_error(request, exc)
        except Exception as exc:  # noqa: BLE001 - becomes a logged 500, as on every other route
            response = await server_error(request, exc)
        response.raw_headers.extend(SECURITY_HEADERS)
        await response(scope, receive, send)
