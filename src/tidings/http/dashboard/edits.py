"""How the admin pages take an edit: a form checked against CSRF, the change made in the thread
pool, then back to the list page (303), or 404 when there was nothing to change; and how they
show their lists, with a new secret once in the answer to the form that created it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.errors import Invalid, NotFound
from tidings.http.dashboard.auth import Visitor, check_csrf, read_form
from tidings.http.dashboard.render import Endpoint, page, render
from tidings.http.deps import Runtime, runtime
from tidings.model.timeparse import to_iso


async def admin_form(request: Request, who: Visitor) -> dict[str, str]:
    """The posted form, once its CSRF token is the visitor's."""
    form = await read_form(request)
    check_csrf(form, who)
    return form


async def create_form(
    request: Request, who: Visitor, field: str, pattern: re.Pattern[str], rule: str
) -> tuple[dict[str, str], str]:
    """A posted create form (CSRF checked) and the new name it gives in ``field``."""
    form = await admin_form(request, who)
    return form, new_name(form, field, pattern, rule)


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


@dataclass(frozen=True)
class ListPage:
    """An admin list page: its template and what it shows, read from the runtime."""

    template: str
    read: Callable[[Runtime], dict[str, Any]]

    async def answer(
        self,
        request: Request,
        who: Visitor,
        created: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        """The page; ``created`` shows a new secret once, in the answer to its form."""
        return await run_in_threadpool(self._render, request, who, created, status)

    def _render(
        self, request: Request, who: Visitor, created: dict[str, str] | None, status: int
    ) -> Response:
        shown = self.read(runtime(request))
        return render(
            request, self.template, who, status=status, created=created, iso=to_iso, **shown
        )

    def endpoint(self, name: str) -> Endpoint:
        """The admin-only GET endpoint that shows the page, named ``name``."""

        async def show(request: Request, who: Visitor) -> Response:
            return await self.answer(request, who)

        show.__name__ = show.__qualname__ = name
        return page(admin=True)(show)
