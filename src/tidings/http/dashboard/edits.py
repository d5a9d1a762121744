"""How the admin pages take an edit: a form checked against CSRF, the change made in the thread
pool, then back to the list page (303), or 404 when there was nothing to change."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.errors import Invalid, NotFound
from tidings.http.dashboard.auth import Visitor, check_csrf, read_form
from tidings.http.dashboard.render import render
from tidings.http.deps import runtime
from tidings.model.timeparse import to_iso


async def admin_form(request: Request, who: Visitor) -> dict[str, str]:
    """The posted form, once its CSRF token is the visitor's."""
    form = await read_form(request)
    check_csrf(form, who)
    return form


def new_name(form: dict[str, str], field: str, pattern: re.Pattern[str], rule: str) -> str:
    """The name a create form gives in ``field`` (trimmed), if it matches ``pattern``."""
    name = form.get(field, "").strip()
    if not pattern.match(name):
        raise Invalid.field(field, rule)
    return name


async def changed(
    request: Request, change: Callable[[], bool], missing: str, back: str, *, forget: bool = True
) -> Response:
    """Make ``change`` (False: nothing to change, raises NotFound(missing)), then go to
    ``back``. ``forget`` drops this process's cached credentials, so a revoked or changed
    one stops working here at once (other processes within the cache's TTL)."""
    if not await run_in_threadpool(change):
        raise NotFound(missing)
    if forget:
        runtime(request).auth.forget()
    return RedirectResponse(back, status_code=303)


def listing(
    request: Request,
    who: Visitor,
    template: str,
    created: dict[str, str] | None,
    status: int,
    **context: Any,
) -> Response:
    """An admin list page; ``created`` shows a new secret once, in the answer to its form."""
    return render(request, template, who, status=status, created=created, iso=to_iso, **context)
