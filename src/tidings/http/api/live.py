"""``GET /api/v1/live``: committed events as Server-Sent Events or NDJSON, resumable.

Resume with ``Last-Event-ID`` (what browsers send on reconnect) or ``?after=<id>``: the
stream replays stored events after that id, then follows live events with no gap and no
duplicate (see :mod:`tidings.core.live`). Without either it starts with live events only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tidings.core.live import Ended, LiveBatch, LiveEvent, Overflow, Subscription, frames
from tidings.core.query import event_dict
from tidings.errors import Invalid
from tidings.http.api.params import event_filter
from tidings.http.deps import runtime
from tidings.http.stream import LiveResponse
from tidings.http.streamauth import hub, stream_user
from tidings.model.records import EventFilter
from tidings.storage.base import Storage

REPLAY_PAGE = 500
SSE = "text/event-stream; charset=utf-8"
NDJSON = "application/x-ndjson"
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


class _Framing:
    def __init__(self, sse: bool) -> None:
        self.sse = sse

    def event(self, event_id: int, data: bytes) -> bytes:
        if self.sse:
            return b"id: %d\ndata: %s\n\n" % (event_id, data)
        return data + b"\n"

    @property
    def keepalive(self) -> bytes:
        return b": keepalive\n\n" if self.sse else b"\n"

    def error(self, body: dict[str, str]) -> bytes:
        if self.sse:
            return b"event: error\ndata: %s\n\n" % orjson.dumps(body)
        return orjson.dumps({"error": body}) + b"\n"


async def _replay(
    sub: Subscription[LiveEvent],
    storage: Storage,
    flt: EventFilter,
    cursor: int,
    framing: _Framing,
    sent: list[int],
) -> AsyncIterator[bytes]:
    """Stored events after ``cursor`` until caught up; ``sent[0]`` tracks the last id."""
    while True:
        rows = await run_in_threadpool(storage.list_events, flt, cursor, REPLAY_PAGE)
        if rows:
            yield b"".join(framing.event(row.id, orjson.dumps(event_dict(row))) for row in rows)
            cursor = sent[0] = rows[-1].id
        if len(rows) < REPLAY_PAGE:
            if not sub.overflowed:
                return
            # Fell behind while replaying: storage still has everything, read on.
            sub.restart()


async def _body(
    sub: Subscription[LiveEvent],
    storage: Storage,
    flt: EventFilter,
    cursor: int | None,
    framing: _Framing,
) -> AsyncGenerator[bytes, None]:
    if framing.sse:
        yield b"retry: 1000\n\n"
    if cursor is not None:
        sent = [cursor]
        async for chunk in _replay(sub, storage, flt, cursor, framing, sent):
            yield chunk
        cursor = sent[0]
    sub.following = True
    last = -1 if cursor is None else cursor
    while True:
        try:
            parts = await sub.get_parts()
        except Ended:
            return
        except Overflow:
            yield framing.error(SLOW)
            return
        if parts is None:
            yield framing.keepalive
            continue
        # Everything pending goes out in one write; a part is shared with the other streams
        # of the same filter, and so are its bytes, unless it overlaps what was replayed.
        chunks = []
        for part in parts:
            if part[0].id <= last:
                part = LiveBatch(event for event in part if event.id > last)
                if not part:
                    continue
            chunks.append(frames(part, framing.sse))
            last = part[-1].id
        if chunks:
            yield chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def live(request: Request) -> LiveResponse:
    """Stream committed events matching the list filters (api.md section 2)."""
    return open_stream(request, await stream_user(request))


def open_stream(request: Request, uid: int) -> LiveResponse:
    """The live stream of this request's filters and cursor, for an already authenticated
    reader ``uid`` (0: not a user); the dashboard opens it with its session cookie."""
    rt = runtime(request)
    params = request.query_params
    flt = event_filter(params)
    fmt = params.get("format", "sse")
    if fmt not in ("sse", "ndjson"):
        raise Invalid.field("format", "must be sse or ndjson")
    cursor = _cursor(request)
    framing = _Framing(fmt == "sse")
    sub = hub(request).subscribe_events(uid, flt)
    body = _body(sub, rt.storage, flt, cursor, framing)
    return LiveResponse(
        body,
        SSE if framing.sse else NDJSON,
        dropped=sub.dropped,
        final_line=framing.error(SLOW),
        on_close=sub.close,
    )
