"""RFC 9457 problem+json: the one place where errors become HTTP statuses."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from tidings.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Overloaded,
    RateLimited,
    TidingsError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from tidings.outages import describe, is_outage

log = logging.getLogger("tidings.http")

STATUS: dict[type[TidingsError], int] = {
    Invalid: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Overloaded: 503,
    Unavailable: 503,
    RateLimited: 429,
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_of(exc: TidingsError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def error_headers(exc: TidingsError) -> dict[str, str]:
    if isinstance(exc, Overloaded):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, Unavailable):
        return {"Retry-After": "1"}
    if isinstance(exc, Unauthenticated):
        return {"WWW-Authenticate": f'{exc.scheme} realm="tidings"'}
    return {}


async def tidings_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TidingsError)
    errors = [e.as_dict() for e in exc.errors] if isinstance(exc, Invalid) else None
    return problem(
        status_of(exc), exc.detail, code=exc.code, errors=errors, headers=error_headers(exc)
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(
        exc.status_code,
        str(exc.detail),
        code=TITLES.get(exc.status_code, "error").lower().replace(" ", "_"),
        headers=dict(exc.headers or {}),
    )


async def server_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnect):
        # The client hung up (or its body stopped and the server closed the connection):
        # no one hears this answer, and it is no bug worth a traceback.
        log.info("client went away before its request body was read")
        return problem(400, "The client disconnected.", code="client_disconnected")
    if is_outage(exc):
        # A service that went away is not a bug: 503 tells clients to retry, and a
        # traceback per request would flood the log for as long as the outage lasts.
        log.warning("service unavailable: %s", describe(exc))
        return problem(
            503,
            f"A backing service is unavailable ({type(exc).__name__}); retry shortly.",
            code=Unavailable.code,
            headers={"Retry-After": "1"},
        )
    request_id = secrets.token_hex(8)
    log.error("unhandled error (request %s)", request_id, exc_info=exc)
    return problem(500, f"Internal error; request id {request_id}.", code="internal")


HANDLERS = {TidingsError: tidings_error, HTTPException: http_error, Exception: server_error}
