"""``DELETE /api/v1/events`` (admin): erase a person's events, or the events of a filter.

``user_id`` and/or ``anonymous_id`` alone erase that person everywhere (GDPR erasure): with
``user_id``, the events of every anonymous or previous id linked to the user too, in the
transaction that removes the person record. Any
of ``source``, ``namespace``, ``name``, ``session_id``, ``from``, ``to`` and
``prop.<key>=<value>`` (with ``user_id`` too, if wanted) deletes the matching events, matched
as ``GET /api/v1/events`` matches them. Either way rollups are rebuilt in the same
transaction.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.erasure import Erasure, erase_person
from tidings.errors import Invalid
from tidings.http.api.params import FILTER_KEYS, event_filter
from tidings.http.deps import require_admin, runtime
from tidings.model.events import ID_MAX
from tidings.model.records import EventFilter

_PERSON = ("user_id", "anonymous_id")


def _check(params: dict[str, str]) -> None:
    for key, value in params.items():
        if key.startswith("prop."):
            continue  # checked by event_filter, as for listing
        if key not in FILTER_KEYS and key not in _PERSON:
            raise Invalid.field(key, "is not a known parameter")
        if not value.strip():
            # An empty filter would be ignored, and a delete must never widen silently.
            raise Invalid.field(key, "must not be empty")
        if key in ("user_id", "anonymous_id", "session_id") and not 1 <= len(value) <= ID_MAX:
            raise Invalid.field(key, f"must be 1 to {ID_MAX} characters long")


async def erase_events(request: Request) -> Response:
    """Delete a person's events (and person record) or the events matching a filter;
    answers ``{"deleted": n}`` (plus ``person_records`` and ``ids``, the events erased per
    id of the person, for a person)."""
    await require_admin(request)
    query = request.query_params
    params = dict(query.multi_items())
    _check(params)
    storage = runtime(request).storage
    filters = [k for k in params if k not in _PERSON]
    if not params:
        raise Invalid.field("user_id", "is required (or anonymous_id, or a filter)")
    answer: Erasure | dict[str, int]
    if not filters:
        answer = await run_in_threadpool(
            erase_person, storage, params.get("user_id"), params.get("anonymous_id")
        )
    else:
        if "anonymous_id" in params:
            raise Invalid.field("anonymous_id", "cannot be combined with filters")
        flt = event_filter(query)
        if flt == EventFilter():
            # Only empty values (``from=&to=``): deleting everything is never what was meant.
            raise Invalid.field(filters[0], "is empty; give a value to select events to delete")
        deleted = await run_in_threadpool(storage.delete_events, flt)
        answer = {"deleted": deleted}
    return Response(orjson.dumps(answer), media_type="application/json")
