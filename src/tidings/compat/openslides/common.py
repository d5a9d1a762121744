"""What the ``/system/*`` live routes share: their error shape, auth and NDJSON streaming.

Errors are ``{"error": {"type", "msg"}}`` as autoupdate-style clients expect, built with a
JSON encoder (so messages are escaped) and with honest statuses: 401 (with
``WWW-Authenticate``) when credentials are missing or wrong, 403 when they may not read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.live import NDJSON, Feed, Framing, Subscription, replay_then_follow
from tidings.errors import Forbidden, TidingsError, TooLarge, Unauthenticated
from tidings.http.dashboard.auth import SESSION_COOKIE, visitor
from tidings.http.deps import runtime
from tidings.http.stream import LiveResponse
from tidings.http.streamauth import stream_user

MEDIA_TYPE = "application/octet-stream"
#: The first line of every stream.
CONNECTED = b'{"connected":true}\n'
SLOW = {"type": "slow_reader", "msg": "Reader too slow; reconnect to continue."}

T = TypeVar("T")


class RouteError(Exception):
    """An error answered in the ``/system`` shape; raised by handlers, caught by :func:`guard`."""

    def __init__(self, status: int, type_: str, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.type = type_
        self.msg = msg


def error_response(exc: RouteError) -> Response:
    headers = None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Basic realm="tidings"'}
    elif exc.status == 503:
        headers = {"Retry-After": "1"}
    return Response(
        # The same line a stream ends with, so clients parse one error shape.
        NDJSON.error({"type": exc.type, "msg": exc.msg}),
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
    """The caller's user id (0 = anonymous, when allowed). With ``login_msg`` the caller
    acts (sends), so it must be a user: anonymous callers get 401 with that message, OAuth2
    clients (which may read but are nobody) 403.

    In the OpenSlides mode the caller is the OpenSlides user (its session cookie), and a
    caller who must be a user but is anonymous gets the original's 400 ``auth_required``.

    Without ``Authorization``, a dashboard session cookie names the user too (api.md 3.6:
    autoupdate clients run in the logged-in browser).
    """
    openslides = getattr(request.app.state, "openslides", None)
    if openslides is not None:
        uid: int = await openslides.uid(request)
        if uid == 0 and login_msg is not None:
            raise RouteError(400, "auth_required", login_msg)
        return uid
    if "authorization" not in request.headers and SESSION_COOKIE in request.cookies:
        who = await visitor(request)
        if who is not None:
            if login_msg is not None and not same_origin(request):
                # A cookie rides along on requests other sites make; only our own pages
                # may act with it (reads are safe: other origins cannot see the answer).
                raise RouteError(403, "forbidden", "Cross-site requests may not act as you.")
            user = await run_in_threadpool(runtime(request).storage.get_user, who.username)
            if user is not None:
                return user.id
    try:
        uid = await stream_user(request)
    except Unauthenticated as exc:
        raise RouteError(401, "auth_required", login_msg or exc.detail) from None
    except Forbidden as exc:
        raise RouteError(403, "forbidden", exc.detail) from None
    if uid == 0 and login_msg is not None:
        if "authorization" in request.headers:
            raise RouteError(403, "forbidden", "An OAuth2 client is not a user; " + login_msg)
        raise RouteError(401, "auth_required", login_msg)
    return uid


def same_origin(request: Request) -> bool:
    """Whether a browser says the request comes from our own pages (or it is no browser)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


#: The OpenSlides mode's lines: its client takes an empty line for an error, so an idle
#: stream repeats the connected line instead.
OPENSLIDES_NDJSON = Framing(sse=False)
OPENSLIDES_NDJSON.keepalive = CONNECTED


def system_stream(
    sub: Subscription[T],
    feed: Feed[T],
    cursor: int | None = None,
    opening: bytes = b"",
    framing: Framing = NDJSON,
) -> LiveResponse:
    """``sub``'s stream as NDJSON lines (see :func:`tidings.core.live.replay_then_follow`)."""
    body = replay_then_follow(sub, feed, framing, SLOW, cursor, opening)
    return LiveResponse(body, MEDIA_TYPE, sub, NDJSON.error(SLOW))
