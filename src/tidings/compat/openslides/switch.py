"""The ``/system`` routes that the OpenSlides mode answers differently: each one either the
Tidings handler (mode off) or the mode's handler, in the original's error shapes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.common import RouteError, guard
from tidings.compat.openslides.os3.mode import Mode, mode

log = logging.getLogger("tidings.openslides")
Handler = Callable[[Request], Awaitable[Response]]
ModeHandler = Callable[[Request, Mode], Awaitable[Response]]
#: Registered for every route the mode answers: the original answers other methods with 400.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def switch(off: Handler | None, on: ModeHandler) -> Handler:
    """``on`` in the mode; otherwise ``off`` (None: the route does not exist)."""

    @guard
    async def handler(request: Request) -> Response:
        found = mode(request)
        if found is not None:
            try:
                return await on(request, found)
            except RouteError:
                raise
            except Exception:
                # The original's answer to a bug; the details go to the log only.
                log.exception("openslides: %s failed", request.url.path)
                raise RouteError(500, "InternalError", "Ups, something went wrong!") from None
        if off is None:
            raise RouteError(404, "not_found", "Not found (the OpenSlides mode is off).")
        if request.method not in ("GET", "POST"):
            raise RouteError(405, "invalid_request", "Method not allowed.")
        return await off(request)

    return handler
