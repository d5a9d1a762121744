"""``GET /api/v1/live``: committed events as Server-Sent Events or NDJSON, resumable.

Resume with ``Last-Event-ID`` (what browsers send on reconnect) or ``?after=<id>``: the
stream replays stored events after that id, then follows live events with no gap and no
duplicate (see :mod:`tidings.core.live.replay`). Without either it starts with live events
only.
"""

from __future__ import annotations

from starlette.requests import Request

from tidings.core.live import NDJSON, SSE, EventFeed, replay_then_follow
from tidings.errors import Invalid
from tidings.http.api.params import event_filter
from tidings.http.deps import runtime
from tidings.http.stream import LiveResponse
from tidings.http.streamauth import hub, stream_user

MEDIA_TYPES = {"sse": "text/event-stream; charset=utf-8", "ndjson": "application/x-ndjson"}
FRAMINGS = {"sse": SSE, "ndjson": NDJSON}
SLOW = {"type": "slow_reader", "detail": "Reader too slow; reconnect with Last-Event-ID."}


def _cursor(request: Request) -> int | None:
    for raw, field in (
        (request.headers.get("last-event-id"), "Last-Event-ID"),
        (request.query_params.get("after"), "after"),
    ):
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if not raw.isdigit() or len(raw) > 19:
            raise Invalid.field(field, f"must be an event id (a non-negative integer), got {raw!r}")
        return int(raw)
    return None


async def live(request: Request) -> LiveResponse:
    """Stream committed events matching the list filters (api.md section 2)."""
    return open_stream(request, await stream_user(request))


def open_stream(request: Request, uid: int) -> LiveResponse:
    """The live stream of this request's filters and cursor, for an already authenticated
    reader ``uid`` (0: not a user); the dashboard opens it with its session cookie."""
    params = request.query_params
    flt = event_filter(params)
    fmt = params.get("format", "sse")
    if fmt not in FRAMINGS:
        raise Invalid.field("format", "must be sse or ndjson")
    cursor = _cursor(request)
    framing = FRAMINGS[fmt]
    sub = hub(request).subscribe_events(uid, flt)
    feed = EventFeed(runtime(request).storage, flt, framing)
    body = replay_then_follow(sub, feed, framing, SLOW, cursor, framing.opening)
    return LiveResponse(body, MEDIA_TYPES[fmt], sub, framing.error(SLOW))
