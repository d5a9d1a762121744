"""Microticks: consumers start sessions, sessions carry click events (api.md 3.5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.microticks import dashboard, docs, home, routes
from tidings.http.dashboard import auth as dashboard_auth
from tidings.http.dashboard import pages as dashboard_pages
from tidings.http.routing import Entry, endpoint


async def sessions_page_or_api(request: Request) -> Response:
    """``GET /sessions`` is both the Microticks read API and the dashboard's sessions page
    (api.md 7). A browser page load (HTML wanted or a dashboard session cookie, and no
    ``key``, no Authorization) gets the page; every API client sends a key or credentials
    and gets the Microticks answer, including its 401 when it sends none."""
    browser = (
        "text/html" in request.headers.get("accept", "")
        or dashboard_auth.SESSION_COOKIE in request.cookies
    )
    if browser and "key" not in request.query_params and "authorization" not in request.headers:
        return await dashboard_pages.sessions(request)
    return await routes.list_sessions(request)


ROUTES: list[Entry] = [
    # The dashboard's overview, or the Microticks self-documentation page (home.py)
    endpoint("/", home.home, "GET", doc=docs.HOME),
    endpoint("/sessions", routes.create_session, "POST", doc=docs.CREATE_SESSION),
    endpoint("/sessions", sessions_page_or_api, "GET", doc=docs.LIST_SESSIONS),
    endpoint("/sessions/stop", routes.stop_session, "POST", doc=docs.STOP_SESSION),
    endpoint("/events", routes.create_event, "POST", hot=True, doc=docs.CREATE_EVENT),
    endpoint("/events", routes.list_events, "GET", doc=docs.LIST_EVENTS),
    endpoint("/dash", routes.dash, "GET", doc=docs.DASH),
    *(
        endpoint(path, routes.preflight, "OPTIONS", doc=docs.PREFLIGHT)
        for path in ("/sessions", "/sessions/stop", "/events")
    ),
    # The dashboard's admin page for consumers
    endpoint("/admin/consumers", dashboard.consumers, "GET", doc=docs.ADMIN),
    endpoint("/admin/consumers", dashboard.create_consumer, "POST", doc=docs.ADMIN),
    endpoint("/admin/consumers/deactivate", dashboard.deactivate_consumer, "POST", doc=docs.ADMIN),
]
