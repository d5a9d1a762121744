"""``GET /``: the Microticks self-documentation page where Microticks is in use.

The original answered ``/`` with a page describing its endpoints; Tidings' ``/`` is the
dashboard's overview. Both live on: a browser with a dashboard session cookie gets the
overview (an expired cookie then leads to the login, as before), and so does everyone while
Microticks is not in use. Microticks is in use when an active consumer exists or
``TIDINGS_MICROTICKS_KEY`` is set; then a visitor without a dashboard session gets the
endpoint page, which links to the dashboard's login.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.microticks import sessions as microticks
from tidings.http.dashboard import auth as dashboard_auth
from tidings.http.dashboard import pages as dashboard_pages
from tidings.http.dashboard.render import render
from tidings.http.deps import runtime


async def in_use(request: Request) -> bool:
    """A drop-in key is configured, or some consumer may start sessions."""
    rt = runtime(request)
    if rt.settings.microticks_key:
        return True
    return await run_in_threadpool(microticks.has_active_consumer, rt.storage)


async def home(request: Request) -> Response:
    """The overview for dashboard users; the Microticks page for its clients."""
    if dashboard_auth.SESSION_COOKIE in request.cookies or not await in_use(request):
        return await dashboard_pages.show_overview(request)
    today = datetime.now(UTC).date().isoformat()
    return render(request, "microticks_home.html", None, today=today)
