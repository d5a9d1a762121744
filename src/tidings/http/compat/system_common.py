"""What the ``/system/*`` live routes share: their error shape, auth and NDJSON streaming.

Errors are ``{"error": {"type", "msg"}}`` as autoupdate-style clients expect, built with a
JSON encoder (so messages are escaped) and with honest statuses: 401 (with
``WWW-Authenticate``) when credentials are missing or wrong, 403 when they may not read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from functools import wraps
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.live import Ended, Overflow, Subscription
from tidings.errors import Forbidden, TidingsError, TooLarge, Unauthenticated
from tidings.http.stream import LiveResponse
from tidings.http.streamauth import stream_user

NDJSON = "application/octet-stream"
CONNECTED = b'{"connected":true}\n'
KEEPALIVE = b"\n"


class RouteError(Exception):
    """An error answered in the ``/system`` shape; raised by handlers, caught by :func:`guard`."""

    def __init__(self, status: int, type_: str, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.type = type_
        self.msg = msg


def error_body(type_: str, msg: str) -> bytes:
    return orjson.dumps({"error": {"type": type_, "msg": msg}})


def error_response(exc: RouteError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="tidings"'} if exc.status == 401 else None
    return Response(
        error_body(exc.type, exc.msg) + b"\n",
        status_code=exc.status,
        media_type="application/json",
        headers=headers,
    )


_STATUS_TYPES: tuple[tuple[type[TidingsError], int, str], ...] = (
    (Unauthenticated, 401, "auth_required"),
    (Forbidden, 403, "forbidden"),
    (TooLarge, 413, "invalid_request"),
)


def guard(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Answer every error of ``handler`` in the ``/system`` error shape."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except RouteError as exc:
            return error_response(exc)
        except TidingsError as exc:
            for kind, status, type_ in _STATUS_TYPES:
                if isinstance(exc, kind):
                    return error_response(RouteError(status, type_, exc.detail))
            return error_response(RouteError(400, "invalid_request", exc.detail))

    return wrapped


def invalid(msg: str) -> RouteError:
    return RouteError(400, "invalid_request", msg)


async def caller(request: Request, *, login_msg: str | None = None) -> int:
    """The caller's user id (0 = anonymous, when allowed). With ``login_msg`` an anonymous
    caller is refused with that message."""
    try:
        uid = await stream_user(request)
    except Unauthenticated as exc:
        raise RouteError(401, "auth_required", login_msg or exc.detail) from None
    except Forbidden as exc:
        raise RouteError(403, "forbidden", exc.detail) from None
    if uid == 0 and login_msg is not None:
        raise RouteError(401, "auth_required", login_msg)
    return uid


async def lines(sub: Subscription[bytes], first: list[bytes]) -> AsyncGenerator[bytes, None]:
    """``first`` lines, then every buffered line as it comes, with keepalive lines."""
    yield b"".join(first)
    sub.following = True
    while True:
        try:
            batch = await sub.get()
        except Ended:
            return
        except Overflow:
            yield slow_line()
            return
        yield KEEPALIVE if batch is None else b"".join(batch)


def slow_line() -> bytes:
    return error_body("slow_reader", "Reader too slow; reconnect to continue.") + b"\n"


def ndjson_stream(body: AsyncGenerator[bytes, None], sub: Subscription[Any]) -> LiveResponse:
    return LiveResponse(
        body, NDJSON, dropped=sub.dropped, final_line=slow_line(), on_close=sub.close
    )
