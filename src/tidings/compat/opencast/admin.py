"""Admin edits on the Opencast page: change or delete an adopter, delete a statistic, a
statistics report or an error event.

Pages name records by their pseudonyms (records.pseudonym), never by their keys: a key lets
whoever holds it act as the adopter, and a page's HTML may end up in a browser cache. The
server maps a pseudonym back to its key. The writes are the API routes' own storage calls:
``update_adopter`` (as ``PUT /api/1.0/adopter/<key>``), ``delete_adopter`` (as
``DELETE /api/1.0/adopter``, which also removes the adopter's statistics) and
``delete_statistic`` (as ``DELETE /api/1.0/statistic``). Statistics reports and error events
are core events (records.py), so they go the way ``DELETE /api/v1/events`` deletes events,
rollups rebuilt; being events, they are deleted, not edited. Deleting asks first: the first
post answers a confirmation page, whose form posts again with ``confirm=yes``.

The adopter's contact person (name, email, contact consent) is part of its record, so editing
the adopter is also where that person's data is corrected or cleared.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.compat.opencast import payloads, records
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.store import ADOPTER_BOOL, ADOPTER_TEXT
from tidings.errors import NotFound
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.edits import admin_form
from tidings.http.dashboard.render import page, render
from tidings.http.deps import runtime
from tidings.model.records import EventFilter
from tidings.model.timeparse import to_iso
from tidings.storage.base import Storage

BACK = "/opencast"
#: The generation A records kept as core events, and the properties that tell one apart.
RECORD_KINDS = {
    "statistics_report": ("from_date", "to_date", "opencast_version"),
    "error_event": ("timestamp", "error_type", "opencast_version"),
}
#: How a three-state (unknown, yes, no) field is posted, and what it stores.
_CHOICES = {"": None, "true": True, "false": False}


def _adopter_key(storage: Storage, ref: str) -> str:
    key = records.known_keys(storage).get(ref)
    if key is None:
        raise NotFound("No adopter has this reference; it may have been deleted.")
    return key


def _adopter(storage: Storage, ref: str) -> dict[str, Any]:
    row = tables.get_adopter(storage.engine, _adopter_key(storage, ref))
    if row is None:
        raise NotFound("No adopter has this reference; it may have been deleted.")
    return row


def _statistic_key(storage: Storage, adopter_ref: str, ref: str) -> str:
    """The key of the adopter's statistic whose pseudonym is ``ref``."""
    owner = _adopter_key(storage, adopter_ref)
    for stat in tables.list_statistics(storage.engine, None, 0, adopter_key=owner):
        if records.pseudonym(stat["statistic_key"]) == ref:
            return str(stat["statistic_key"])
    raise NotFound("This adopter has no such statistic; it may have been deleted.")


def form_values(form: dict[str, str]) -> dict[str, Any]:
    """The adopter columns of the edit form, checked as the API checks them. An empty text
    field clears the column; a yes/no field may also be left unknown."""
    obj: dict[str, Any] = {name: form.get(name, "").strip() or None for name in ADOPTER_TEXT}
    for name in ADOPTER_BOOL:
        choice = form.get(name, "")
        if choice not in _CHOICES:
            raise payloads.invalid(name, f"'{name}' must be yes, no or unknown")
        obj[name] = _CHOICES[choice]
    return payloads.adopter_values(obj)


@page(admin=True)
async def edit_adopter(request: Request, who: Visitor) -> Response:
    """``GET /opencast/adopter?ref=...``: the edit form."""
    ref = request.query_params.get("ref", "")
    row = await run_in_threadpool(_adopter, runtime(request).storage, ref)
    return _edit_page(request, who, ref, row)


def _edit_page(
    request: Request, who: Visitor, ref: str, row: dict[str, Any], status: int = 200
) -> Response:
    return render(
        request,
        "opencast_adopter.html",
        who,
        status=status,
        ref=ref,
        adopter=row,
        text_fields=ADOPTER_TEXT,
        bool_fields=ADOPTER_BOOL,
        choices={name: _choice_of(row[name]) for name in ADOPTER_BOOL},
        iso=to_iso,
    )


def _choice_of(value: bool | None) -> str:
    return next(posted for posted, stored in _CHOICES.items() if stored is value)


@page(admin=True)
async def save_adopter(request: Request, who: Visitor) -> Response:
    """``POST /opencast/adopter``: store the form through the API's update."""
    form = await admin_form(request, who)
    storage = runtime(request).storage
    key = await run_in_threadpool(_adopter_key, storage, form.get("ref", ""))
    values = form_values(form)
    if await run_in_threadpool(tables.update_adopter, storage.engine, key, values) is None:
        raise NotFound("The adopter was deleted meanwhile.")
    return RedirectResponse(BACK, status_code=303)


def _confirm(request: Request, who: Visitor, form: dict[str, str], question: str) -> Response:
    """The confirmation page: the same form again, with ``confirm=yes``."""
    hidden = {k: v for k, v in form.items() if k not in ("csrf", "confirm")}
    action = request.url.path
    return render(
        request, "opencast_confirm.html", who, question=question, action=action, hidden=hidden
    )


@page(admin=True)
async def delete_adopter(request: Request, who: Visitor) -> Response:
    """``POST /opencast/adopter/delete``: ask, then delete it and its statistics."""
    form = await admin_form(request, who)
    storage = runtime(request).storage
    row = await run_in_threadpool(_adopter, storage, form.get("ref", ""))
    if form.get("confirm") != "yes":
        name = row.get("organisation_name") or "(unnamed)"
        question = f"Delete the adopter {name} and its statistics?"
        return _confirm(request, who, form, question)
    await run_in_threadpool(tables.delete_adopter, storage.engine, row["adopter_key"])
    return RedirectResponse(BACK, status_code=303)


@page(admin=True)
async def delete_statistic(request: Request, who: Visitor) -> Response:
    """``POST /opencast/statistic/delete``: ask, then delete one statistic of an adopter."""
    form = await admin_form(request, who)
    storage = runtime(request).storage
    adopter, ref = form.get("adopter", ""), form.get("ref", "")
    key = await run_in_threadpool(_statistic_key, storage, adopter, ref)
    if form.get("confirm") != "yes":
        question = "Delete this statistic and its hosts? The adopter stays."
        return _confirm(request, who, form, question)
    await run_in_threadpool(tables.delete_statistic, storage.engine, key)
    return RedirectResponse(BACK, status_code=303)


def _record_filter(storage: Storage, kind: str, ref: str) -> EventFilter:
    """The narrowest event filter for record ``ref`` (an event id) of ``kind``: its adopter,
    its instant and its identifying properties. A copy identical in all of them is the same
    record to every reader (only the id differs), and goes with it."""
    if kind not in RECORD_KINDS or not ref.isdigit():
        raise NotFound("No such statistics report or error event.")
    wanted = tables.RecordQuery(name=kind, event_id=int(ref))
    found = tables.opencast_events(storage.engine, records.source_id(storage), wanted)
    if not found:
        raise NotFound("No such statistics report or error event; it may have been deleted.")
    record = found[0]
    shown = orjson.loads(record.properties or "{}")
    props = tuple(
        (name, str(shown[name])) for name in RECORD_KINDS[kind] if shown.get(name) is not None
    )
    return EventFilter(
        source=records.SOURCE,
        namespace=records.NAMESPACE,
        names=(kind,),
        user_id=record.adopter_key,
        from_us=record.timestamp,
        to_us=record.timestamp + 1,
        props=props,
    )


@page(admin=True)
async def delete_record(request: Request, who: Visitor) -> Response:
    """``POST /opencast/record/delete``: ask, then delete a statistics report or error event."""
    form = await admin_form(request, who)
    storage = runtime(request).storage
    kind = form.get("kind", "")
    flt = await run_in_threadpool(_record_filter, storage, kind, form.get("ref", ""))
    if form.get("confirm") != "yes":
        noun = kind.replace("_", " ")
        return _confirm(request, who, form, f"Delete this {noun}?")
    await run_in_threadpool(storage.delete_events, flt)
    return RedirectResponse(BACK, status_code=303)
