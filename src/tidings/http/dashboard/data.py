"""JSON and the live stream the dashboard's scripts read, authenticated by the session cookie.

These are reads only (GET), so the cookie alone is enough: SameSite=Lax keeps other sites
from sending it with scripted requests, and nothing here changes state.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.activity import latest_event_id
from tidings.core.query import event_dict
from tidings.errors import Unauthenticated
from tidings.http.api.live import open_stream
from tidings.http.api.params import event_filter, int_param
from tidings.http.dashboard.auth import Visitor, visitor
from tidings.http.dashboard.overview import overview
from tidings.http.deps import runtime
from tidings.http.stream import LiveResponse
from tidings.model.timeparse import now_us

#: How far back (in ids) a fresh live tail looks for recent events to show first.
TAIL_WINDOW = 2000


def _json(data: object) -> Response:
    return Response(
        orjson.dumps(data), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def _require_session(request: Request) -> Visitor:
    who = await visitor(request)
    if who is None:
        # Not "Basic": a Basic challenge would pop up the browser's own login dialog.
        raise Unauthenticated("Log in to the dashboard first.", scheme="Session")
    return who


async def overview_data(request: Request) -> Response:
    await _require_session(request)
    return _json(await run_in_threadpool(overview, runtime(request).storage, now_us()))


async def tail_events(request: Request) -> Response:
    """Events after ``after`` matching the list filters. Without ``after``, the newest few
    (up to ``limit``), so a fresh tail starts with recent context."""
    await _require_session(request)
    params = request.query_params
    flt = event_filter(params)
    limit = int_param(params, "limit", 100, 1, 500)
    storage = runtime(request).storage
    raw_after = params.get("after")

    def read() -> dict[str, object]:
        if raw_after:
            after = int_param(params, "after", 0, 0, 2**63 - 1)
            events = storage.list_events(flt, after, limit)
        else:
            latest = latest_event_id(storage)
            events = storage.list_events(flt, max(0, latest - TAIL_WINDOW), TAIL_WINDOW)[-limit:]
            after = latest
        cursor = events[-1].id if events else after
        return {"events": [event_dict(e) for e in events], "cursor": max(cursor, after)}

    return _json(await run_in_threadpool(read))


async def live_events(request: Request) -> LiveResponse:
    """``GET /api/v1/live`` for the live tail page's EventSource: same filters, ``after`` and
    ``Last-Event-ID`` resume, framing and slow-reader handling, but the session cookie
    instead of an Authorization header (EventSource cannot send one)."""
    who = await _require_session(request)
    user = await run_in_threadpool(runtime(request).storage.get_user, who.username)
    return open_stream(request, user.id if user is not None else 0)
