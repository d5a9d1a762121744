"""``/system/health`` and ``/system/autoupdate``: live counters per namespace and name.

The change id is the event id. Collections are namespaces; an element is one event name's
counter ``{"id", "count", "sum", "last_value", "last_timestamp"}`` over all sources. A
client resumes with ``change_id``: 0 (or an id older than the oldest stored event) gets the
full snapshot with ``all_data: true``; otherwise it gets the names changed since, with their
current values, then every later change as it is committed. Changes arriving together are
coalesced into one line; none is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tidings.compat.openslides.common import (
    CONNECTED,
    KEEPALIVE,
    caller,
    guard,
    invalid,
    ndjson_stream,
    slow_line,
)
from tidings.compat.openslides.counters import Key, changed_since, counters, id_range
from tidings.core.live import Ended, LiveEvent, Overflow, Subscription
from tidings.http.deps import runtime
from tidings.http.streamauth import hub
from tidings.storage.base import Storage


async def health(request: Request) -> Response:
    return JSONResponse({"healthy": True})


def _line(
    changed: dict[str, Any], keys: Iterable[Key], since: int, until: int, all_data: bool
) -> bytes:
    deleted: dict[str, list[str]] = {}
    if not all_data:
        present = {(ns, e["id"]) for ns, elements in changed.items() for e in elements}
        for namespace, name in sorted(set(keys) - present):
            deleted.setdefault(namespace, []).append(name)
    return orjson.dumps(
        {
            "changed": changed,
            "deleted": deleted,
            "from_change_id": since,
            "to_change_id": until,
            "all_data": all_data,
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


def _start(storage: Storage, change_id: int) -> tuple[bytes | None, int]:
    """The first data line for ``change_id`` (None when nothing changed) and the new cursor."""
    low, high = id_range(storage)
    if change_id == 0 or change_id < low - 1:
        return _line(counters(storage), (), change_id, high, True), max(high, change_id)
    keys, top = changed_since(storage, change_id)
    if not keys:
        return None, change_id
    return _line(counters(storage, keys), keys, change_id, top, False), top


async def _body(
    sub: Subscription[LiveEvent], storage: Storage, change_id: int
) -> AsyncGenerator[bytes, None]:
    first, cursor = await run_in_threadpool(_start, storage, change_id)
    yield CONNECTED + (first or b"")
    sub.following = True
    while True:
        try:
            batch = await sub.get()
        except Ended:
            return
        except Overflow:
            yield slow_line()
            return
        if batch is None:
            yield KEEPALIVE
            continue
        fresh = [e for e in batch if e.id > cursor]
        if not fresh:
            continue
        keys = {(e.data["namespace"], e.data["name"]) for e in fresh}
        changed = await run_in_threadpool(counters, storage, keys)
        until = fresh[-1].id
        yield _line(changed, keys, cursor, until, False)
        cursor = until


@guard
async def autoupdate(request: Request) -> Response:
    uid = await caller(request)
    raw = request.query_params.get("change_id", "0") or "0"
    if not raw.isdigit() or len(raw) > 19:
        raise invalid(f"Invalid request: Change id has to be a number not {raw}")
    rt = runtime(request)
    # Subscribe before reading storage, so nothing committed in between is missed.
    sub = hub(request).subscribe_events(uid)
    body = _body(sub, rt.storage, int(raw))
    return ndjson_stream(body, sub)
