"""``/system/health`` and ``/system/autoupdate``: live counters per namespace and name.

The change id is the event id. Collections are namespaces; an element is one event name's
counter ``{"id", "count", "sum", "last_value", "last_timestamp"}`` over all sources. A
client resumes with ``change_id``: 0 (or an id older than the oldest stored event) gets the
full snapshot with ``all_data: true``; otherwise it gets the names changed since, with their
current values, then every later change as it is committed. Changes arriving together are
coalesced into one line; none is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tidings.compat.openslides.common import CONNECTED, caller, guard, invalid, system_stream
from tidings.compat.openslides.counters import Key, changed_since, counters, id_range
from tidings.core.live import LiveEvent, json_line
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
    return json_line(
        {
            "changed": changed,
            "deleted": deleted,
            "from_change_id": since,
            "to_change_id": until,
            "all_data": all_data,
        }
    )


def _start(storage: Storage, change_id: int) -> tuple[bytes | None, int]:
    """The first data line for ``change_id`` (None when nothing changed) and the new cursor."""
    low, high = id_range(storage)
    if change_id == 0 or change_id < low - 1:
        return _line(counters(storage), (), change_id, high, True), max(high, change_id)
    return _changes(storage, change_id)


def _changes(storage: Storage, cursor: int) -> tuple[bytes | None, int]:
    """The line for what changed after ``cursor`` (None when nothing did) and the new cursor."""
    keys, top = changed_since(storage, cursor)
    if not keys:
        return None, cursor
    return _line(counters(storage, keys), keys, cursor, top, False), top


class _Counters:
    """An autoupdate stream's feed: counters changed since the cursor, then as events come."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.connected = False

    async def catch_up(self, cursor: int) -> tuple[bytes, int, bool]:
        if self.connected:
            # Fell behind before following: what changed meanwhile, as on a reconnect.
            line, cursor = await run_in_threadpool(_changes, self.storage, cursor)
            return line or b"", cursor, False
        self.connected = True
        line, cursor = await run_in_threadpool(_start, self.storage, cursor)
        return CONNECTED + (line or b""), cursor, False

    async def follow(self, parts: Sequence[Sequence[LiveEvent]], cursor: int) -> tuple[bytes, int]:
        fresh = [e for part in parts for e in part if e.id > cursor]
        if not fresh:
            return b"", cursor
        keys = {(e.data["namespace"], e.data["name"]) for e in fresh}
        changed = await run_in_threadpool(counters, self.storage, keys)
        until = fresh[-1].id
        return _line(changed, keys, cursor, until, False), until


@guard
async def autoupdate(request: Request) -> Response:
    uid = await caller(request)
    raw = request.query_params.get("change_id", "0") or "0"
    if not raw.isdigit() or len(raw) > 19:
        raise invalid(f"Invalid request: Change id has to be a number not {raw}")
    # Subscribe before reading storage, so nothing committed in between is missed.
    sub = hub(request).subscribe_events(uid)
    return system_stream(sub, _Counters(runtime(request).storage), int(raw))
