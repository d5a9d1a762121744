"""Admin page for Microticks consumers: list, create (key shown once), deactivate.

The same storage calls as ``tidings consumer``; deactivating is a soft delete, so sessions
and events stay and the old key is told "Consumer is not active."
"""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.microticks import sessions as microticks
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.edits import ListPage, admin_form, changed, create_form
from tidings.http.dashboard.render import page
from tidings.http.deps import runtime
from tidings.model.events import SOURCE_NAME

_CONSUMERS = ListPage(
    "admin_consumers.html",
    lambda rt: {"consumers": microticks.list_consumers(rt.storage, include_inactive=True)},
)
consumers = _CONSUMERS.endpoint("consumers")


@page(admin=True)
async def create_consumer(request: Request, who: Visitor) -> Response:
    # A consumer's events carry a source of the same name, so the source rules apply.
    rule = "use 1-100 letters, digits, '.', '_' or '-', starting alnum"
    _form, name = await create_form(request, who, "name", SOURCE_NAME, rule)
    storage = runtime(request).storage
    _consumer, key = await run_in_threadpool(microticks.create_consumer, storage, name)
    created = {"name": name, "secret": key}
    return await _CONSUMERS.answer(request, who, created, 201)


@page(admin=True)
async def deactivate_consumer(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    name = form.get("name", "")
    deactivate = partial(microticks.delete_consumer, runtime(request).storage, name)
    # Consumer keys are looked up in storage at every use, never cached: nothing to forget.
    missing = f"no active consumer is named {name!r}"
    return await changed(request, deactivate, missing, "/admin/consumers", forget=False)
