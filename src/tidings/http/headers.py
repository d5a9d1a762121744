"""Request header lookups for the ingest hot path: one table per request, not a scan per name.

Starlette's ``Headers.get`` scans the raw header list for every name asked and raises and
catches a KeyError for each absent one. Ingest asks for four names per request (length,
encoding, write key, authorization), most of them usually absent.
"""

from __future__ import annotations

from starlette.requests import Request

_TABLE = "tidings.headers"


def header(request: Request, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes), as ``request.headers.get``."""
    scope = request.scope
    table: dict[bytes, bytes] | None = scope.get(_TABLE)
    if table is None:
        # Reversed, so the first of repeated headers wins, as in Starlette's Headers.
        table = dict(reversed(scope["headers"]))
        scope[_TABLE] = table
    value = table.get(name)
    return None if value is None else value.decode("latin-1")
