"""CORS for the browser-facing ingest routes: any origin, never credentials.

Web pages on other sites post events with a write-only source key, so ingest answers every
origin. Answers say ``Access-Control-Allow-Origin: *`` and never allow credentials, so a
browser never attaches cookies and no page can read anything through these routes. Only POST
is opened; reads (``GET /api/v1/events``) stay same-origin.

The snippet posts ``text/plain`` with ``writeKey`` in the body, a "simple" request that needs
no preflight; the preflight answer is for pages that send JSON or the ``X-Write-Key`` header.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tidings.errors import TidingsError
from tidings.http.hotpath import Handler
from tidings.http.problems import tidings_error

_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "content-type, content-encoding, x-write-key, authorization",
    "Access-Control-Max-Age": "86400",
}
_ON_POST = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"retry-after"),
]


#: Opencast's keyed routes: the original server answered every origin on ``/api/*``, and a
#: browser tool holding an adopter key may call them. Reads of collections stay same-origin.
_OPENCAST_PREFLIGHT = {
    **_PREFLIGHT,
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
    "Access-Control-Allow-Headers": "content-type",
}


async def opencast_preflight(request: Request) -> Response:
    """Answer a CORS preflight for an Opencast keyed route: any origin, no credentials."""
    return Response(status_code=204, headers=_OPENCAST_PREFLIGHT)


async def preflight(request: Request) -> Response:
    """Answer a CORS preflight for an ingest path: POST from anywhere, no credentials."""
    return Response(status_code=204, headers=_PREFLIGHT)


def open_to_any_origin(handler: Handler) -> Handler:
    """``handler`` whose answers, rejections included, are readable by any origin (so the
    snippet sees a 503 or 429 and retries)."""

    async def handle(request: Request) -> Response:
        try:
            response = await handler(request)
        except TidingsError as exc:
            response = await tidings_error(request, exc)
        response.raw_headers.extend(_ON_POST)
        return response

    return handle
