"""``GET /tidings.js``: the browser snippet, shipped as package data."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response


@cache
def _script() -> tuple[bytes, str]:
    body = files("tidings.http").joinpath("static/tidings.js").read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def tidings_js(request: Request) -> Response:
    """The snippet, cacheable for an hour and loadable from any site (with SRI too)."""
    body, etag = _script()
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=3600",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
