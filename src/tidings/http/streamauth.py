"""Who opened a live stream: a user id for presence and notify routing, or 0 (anonymous)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tidings.core.live import Hub
from tidings.errors import Unauthenticated
from tidings.http.deps import require_reader, runtime


def hub(request: Request) -> Hub:
    live: Hub = request.app.state.live
    return live


async def stream_user(request: Request) -> int:
    """The caller's user id (a reader is required); 0 for an OAuth2 client, or for a caller
    without credentials when ``anonymous_read`` is on.

    Raises:
        Unauthenticated: no or wrong credentials (and anonymous reads are off).
        Forbidden: the credential may not read.
    """
    try:
        who = await require_reader(request)
    except Unauthenticated:
        if runtime(request).settings.anonymous_read and "authorization" not in request.headers:
            return 0
        raise
    if who.kind != "user":
        # An OAuth2 client may read, but it is not a user: it is not "present" and cannot
        # be addressed or send as one.
        return 0
    user = await run_in_threadpool(runtime(request).storage.get_user, who.name)
    return user.id if user is not None else 0
