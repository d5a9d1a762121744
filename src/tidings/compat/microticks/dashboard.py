"""Admin page for Microticks consumers: list, create (key shown once), deactivate.

The same storage calls as ``tidings consumer``; deactivating is a soft delete, so sessions
and events stay and the old key is told "Consumer is not active."
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.compat.microticks import sessions as microticks
from tidings.errors import Invalid, NotFound
from tidings.http.dashboard.auth import Visitor, check_csrf, read_form
from tidings.http.dashboard.render import page, render
from tidings.http.deps import runtime
from tidings.model.events import SOURCE_NAME
from tidings.model.timeparse import to_iso


def _consumers_page(
    request: Request, who: Visitor, created: dict[str, str] | None = None, status: int = 200
) -> Response:
    storage = runtime(request).storage
    return render(
        request,
        "admin_consumers.html",
        who,
        status=status,
        consumers=microticks.list_consumers(storage, include_inactive=True),
        created=created,
        iso=to_iso,
    )


@page(admin=True)
async def consumers(request: Request, who: Visitor) -> Response:
    return await run_in_threadpool(_consumers_page, request, who)


@page(admin=True)
async def create_consumer(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    name = form.get("name", "").strip()
    # A consumer's events carry a source of the same name, so the source rules apply.
    if not SOURCE_NAME.match(name):
        raise Invalid.field("name", "use 1-100 letters, digits, '.', '_' or '-', starting alnum")
    storage = runtime(request).storage
    _consumer, key = await run_in_threadpool(microticks.create_consumer, storage, name)
    created = {"name": name, "secret": key}
    return await run_in_threadpool(_consumers_page, request, who, created, 201)


@page(admin=True)
async def deactivate_consumer(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    name = form.get("name", "")
    storage = runtime(request).storage
    if not await run_in_threadpool(microticks.delete_consumer, storage, name):
        raise NotFound(f"no active consumer is named {name!r}")
    return RedirectResponse("/admin/consumers", status_code=303)
