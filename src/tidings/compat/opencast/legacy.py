"""Opencast adopter statistics, generation A (seed-systems.md 1.4; api.md 3.3).

The documented 2019 API: an adopter read and replaced by its key, statistics reports and
error events. No Opencast release sends reports or error events; they are kept for older
tools and stored only as core events (``opencast``/``statistics_report`` and ``error_event``),
whose event id is the record's ``id``. Lists are bare arrays, newest first (by ``to_date`` or
``timestamp``), paged with ``__limit`` / ``__offset``.

Fixes over the original: unknown ids are 404, not ``200 {}``; a bad date is 400, not 500;
error-event timestamps keep their UTC offset; PUT never wipes optional fields it omits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.opencast import payloads as opencast
from tidings.compat.opencast import records as opencast_records
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.common import (
    adopter_legacy,
    answer,
    limit_open_route,
    not_found,
    open_body,
    opencast_route,
    page_params,
    require_viewer,
)
from tidings.compat.opencast.payloads import ErrorEvent, StatisticsReport
from tidings.core.auth import Principal
from tidings.core.ingest import Batch, ingest
from tidings.http.deps import runtime
from tidings.http.hotpath import Handler
from tidings.model.events import EventDraft

REPORT = "statistics_report"
ERROR = "error_event"
_TITLES = {REPORT: "Statistics report", ERROR: "Error event"}
#: A generation A record a client posts.
Record = TypeVar("Record", StatisticsReport, ErrorEvent)


# -- adopter by key --------------------------------------------------------------------------
@opencast_route
async def read_adopter(request: Request) -> Response:
    limit_open_route(request)
    key = request.path_params["key"]
    row = await run_in_threadpool(tables.get_adopter, runtime(request).storage.engine, key)
    if row is None:
        raise not_found("Adopter", key)
    return answer(adopter_legacy(row))


@opencast_route
async def replace_adopter(request: Request) -> Response:
    """Generation A's PUT: every required field again; omitted optional fields are kept."""
    key = request.path_params["key"]
    values = opencast.legacy_adopter_values(await open_body(request))
    engine = runtime(request).storage.engine
    row = await run_in_threadpool(tables.update_adopter, engine, key, values)
    if row is None:
        raise not_found("Adopter", key)
    return answer(adopter_legacy(row))


# -- records ---------------------------------------------------------------------------------
async def _known_adopter(request: Request, key: str, *, in_body: bool) -> None:
    found = await run_in_threadpool(tables.get_adopter, runtime(request).storage.engine, key)
    if found is None:
        # A key in the URL names a resource (404); one in the body is bad input (400).
        if in_body:
            raise opencast.invalid("adopter_key", "No adopter found with this key")
        raise not_found("Adopter", key)


def _created(record: Record, event_id: int) -> dict[str, Any]:
    """A stored record as its ``POST`` answers it: every field (dates and times in ISO 8601)
    and the event id, keys in the sorted order the original wrote them in."""
    shown: dict[str, Any] = {"id": event_id}
    for field in fields(record):
        value = getattr(record, field.name)
        shown[field.name] = value.isoformat() if isinstance(value, date) else value
    return dict(sorted(shown.items()))


def _creator(
    parse: Callable[[dict[str, Any]], Record], draft_of: Callable[[int, Record], EventDraft]
) -> Handler:
    """A record's ``POST``: stored, for a known adopter, as a core event whose id is the
    record's; answered after the commit."""

    @opencast_route
    async def create(request: Request) -> Response:
        record = parse(await open_body(request))
        await _known_adopter(request, record.adopter_key, in_body=True)
        rt = runtime(request)
        source = await run_in_threadpool(opencast_records.source_id, rt.storage)
        (result,) = await ingest(rt.writer, Batch([draft_of(source, record)]))
        return answer(_created(record, result.id))

    return create


create_statistics_report = _creator(opencast.statistics_report, opencast_records.report_draft)
create_error_event = _creator(opencast.error_event, opencast_records.error_draft)


async def _reveal(request: Request, who: Principal | None, key: str | None) -> dict[str, str]:
    """Which stored pseudonyms this caller may see as keys: the one it named, or all of them
    for an admin; viewers see pseudonyms (a key lets its holder act as the adopter)."""
    if key is not None:
        return {opencast_records.pseudonym(key): key}
    if who is not None and who.is_admin:
        return await run_in_threadpool(opencast_records.known_keys, runtime(request).storage)
    return {}


async def _list(
    request: Request, name: str, adopter_key: str | None, who: Principal | None
) -> Response:
    limit, offset = page_params(request)
    reveal = await _reveal(request, who, adopter_key)
    wanted = tables.RecordQuery(name, adopter_key=adopter_key, limit=limit, offset=offset)
    rows = await run_in_threadpool(
        opencast_records.records, runtime(request).storage, wanted, reveal
    )
    return answer(rows)


async def _read(request: Request, name: str) -> Response:
    who = await require_viewer(request)
    raw = request.path_params["id"]
    rows = []
    if raw.isdigit() and len(raw) < 19:
        reveal = await _reveal(request, who, None)
        wanted = tables.RecordQuery(name, event_id=int(raw))
        rows = await run_in_threadpool(
            opencast_records.records, runtime(request).storage, wanted, reveal
        )
    if not rows:
        raise not_found(_TITLES[name], raw)
    return answer(rows[0])


@opencast_route
async def list_statistics_reports(request: Request) -> Response:
    return await _list(request, REPORT, None, await require_viewer(request))


@opencast_route
async def list_error_events(request: Request) -> Response:
    return await _list(request, ERROR, None, await require_viewer(request))


@opencast_route
async def read_statistics_report(request: Request) -> Response:
    return await _read(request, REPORT)


@opencast_route
async def read_error_event(request: Request) -> Response:
    return await _read(request, ERROR)


def _adopter_lister(name: str) -> Handler:
    """One adopter's records ``name``: open, since its key in the URL is the capability."""

    @opencast_route
    async def listing(request: Request) -> Response:
        limit_open_route(request)
        key = request.path_params["key"]
        await _known_adopter(request, key, in_body=False)
        return await _list(request, name, key, None)

    return listing


list_adopter_statistics_reports = _adopter_lister(REPORT)
list_adopter_error_events = _adopter_lister(ERROR)
