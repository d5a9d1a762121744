"""Templates and the page wrapper: login required, admin pages guarded, errors as HTML."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tidings.errors import Invalid, TidingsError
from tidings.http.dashboard.auth import Visitor, visitor
from tidings.http.problems import status_of

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("tidings.http", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

Handler = Callable[[Request, Visitor], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

#: The navigation, in order: (path, label, admin only).
NAV = (
    ("/", "Overview", False),
    ("/explore", "Explorer", False),
    ("/live", "Live", False),
    ("/funnels", "Funnels", False),
    ("/retention", "Retention", False),
    ("/people", "People", False),
    ("/web", "Web", False),
    ("/sessions", "Sessions", False),
    ("/opencast", "Opencast", False),
    ("/admin/sources", "Sources", True),
    ("/admin/tokens", "API tokens", True),
    ("/admin/clients", "OAuth clients", True),
    ("/admin/consumers", "Consumers", True),
    ("/admin/users", "Users", True),
)


def render(
    request: Request,
    template: str,
    who: Visitor | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = _env.get_template(template).render(
        request=request, who=who, nav=NAV, path=request.url.path, **context
    )
    # Pages carry CSRF tokens and private data: never cache them.
    return HTMLResponse(
        html, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def safe_next(target: str | None) -> str:
    """A same-site path to go to after login; anything else (``//evil``, URLs) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def page(*, admin: bool = False) -> Callable[[Handler], Endpoint]:
    """Wrap a handler: redirect strangers to the login page, refuse viewers on admin pages,
    and show domain errors as a page with the right status instead of problem+json."""

    def wrap(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            who = await visitor(request)
            if who is None:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            if admin and not who.is_admin:
                return render(
                    request,
                    "error.html",
                    who,
                    status=403,
                    title="Admins only",
                    message="This page is for admins. Ask an admin for access.",
                    errors=[],
                )
            try:
                return await handler(request, who)
            except TidingsError as exc:
                errors = [e.as_dict() for e in exc.errors] if isinstance(exc, Invalid) else []
                return render(
                    request,
                    "error.html",
                    who,
                    status=status_of(exc),
                    title="That did not work",
                    message=exc.detail,
                    errors=errors,
                )

        return endpoint

    return wrap
