"""A JSON answer whose body is already encoded, for the ingest hot paths.

Starlette's Response renders its content and derives its headers through several generic
steps (render, init_headers with its checks for given headers); for a body of bytes that is
JSON, both headers are known up front.
"""

from __future__ import annotations

from starlette.responses import Response

_CONTENT_TYPE = (b"content-type", b"application/json")


class JSONBody(Response):
    """``Response(body, media_type="application/json")``, built in one step."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE]
