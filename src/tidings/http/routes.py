"""The whole URL map in one list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tidings.http import cors, oauth, openapi, snippet
from tidings.http.api import aggregates, erase, events, live, system
from tidings.http.compat import (
    applause,
    autoupdate,
    edx,
    legacy_event,
    microticks,
    notify,
    segment,
    tracking_api,
)
from tidings.http.compat import opencast_current as oc_current
from tidings.http.compat import opencast_legacy as oc_legacy
from tidings.http.dashboard import auth as dashboard_auth
from tidings.http.dashboard import pages as dashboard_pages
from tidings.http.dashboard import routes as dashboard
from tidings.http.hotpath import Handler


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
    return await microticks.list_sessions(request)


#: Opencast paths whose keyed routes answer any origin (never with credentials).
OPENCAST_CORS_PATHS = (
    "/api/1.0/adopter",
    "/api/1.0/statistic",
    "/api/1.0/tobira",
    "/api/1.0/adopter/{key}",
    "/api/1.0/adopter/{key}/statistics_report",
    "/api/1.0/adopter/{key}/error_event",
    "/api/1.0/statistics_report",
    "/api/1.0/error_event",
)
_oc = cors.open_to_any_origin

ROUTES: list[BaseRoute] = [
    Route("/api/v1/events", events.create_events, methods=["POST"]),
    Route("/api/v1/events", events.list_events, methods=["GET"]),
    Route("/api/v1/aggregate", aggregates.read_aggregate, methods=["GET"]),
    Route("/healthz", system.healthz, methods=["GET"]),
    Route("/readyz", system.readyz, methods=["GET"]),
    Route("/metrics", system.metrics, methods=["GET"]),
    Route("/openapi.json", openapi.openapi_json, methods=["GET"]),
    Route("/docs", openapi.docs, methods=["GET"]),
    Route("/tidings.js", snippet.tidings_js, methods=["GET"]),
    Route("/api/v1/events", cors.preflight, methods=["OPTIONS"]),
    # Opencast adopter registration, generations B/C (api.md 3.3)
    Route("/api/1.0/adopter", _oc(oc_current.upsert_adopter), methods=["POST"]),
    Route("/api/1.0/adopter", _oc(oc_current.delete_adopter), methods=["DELETE"]),
    Route("/api/1.0/adopter", oc_current.list_adopters, methods=["GET"]),
    Route("/api/1.0/statistic", _oc(oc_current.upsert_statistic), methods=["POST"]),
    Route("/api/1.0/statistic", _oc(oc_current.delete_statistic), methods=["DELETE"]),
    Route("/api/1.0/statistic", oc_current.list_statistics, methods=["GET"]),
    Route("/api/1.0/statistic/{key}", oc_current.read_statistic, methods=["GET"]),
    Route("/api/1.0/tobira", _oc(oc_current.upsert_tobira), methods=["POST"]),
    Route("/api/1.0/tobira", _oc(oc_current.delete_tobira), methods=["DELETE"]),
    Route("/api/1.0/tobira", oc_current.list_tobira, methods=["GET"]),
    Route("/api/1.0/tobira/{key}", oc_current.read_tobira, methods=["GET"]),
    # Opencast adopter statistics, generation A
    Route("/api/1.0/adopter/{key}", _oc(oc_legacy.read_adopter), methods=["GET"]),
    Route("/api/1.0/adopter/{key}", _oc(oc_legacy.replace_adopter), methods=["PUT"]),
    Route(
        "/api/1.0/adopter/{key}/statistics_report",
        _oc(oc_legacy.list_adopter_statistics_reports),
        methods=["GET"],
    ),
    Route(
        "/api/1.0/adopter/{key}/error_event",
        _oc(oc_legacy.list_adopter_error_events),
        methods=["GET"],
    ),
    Route("/api/1.0/statistics_report", _oc(oc_legacy.create_statistics_report), methods=["POST"]),
    Route("/api/1.0/statistics_report", oc_legacy.list_statistics_reports, methods=["GET"]),
    Route("/api/1.0/statistics_report/{id}", oc_legacy.read_statistics_report, methods=["GET"]),
    Route("/api/1.0/error_event", _oc(oc_legacy.create_error_event), methods=["POST"]),
    Route("/api/1.0/error_event", oc_legacy.list_error_events, methods=["GET"]),
    Route("/api/1.0/error_event/{id}", oc_legacy.read_error_event, methods=["GET"]),
    *(Route(path, cors.opencast_preflight, methods=["OPTIONS"]) for path in OPENCAST_CORS_PATHS),
    Route("/o/token/", oauth.issue_token, methods=["POST"]),
    Route("/o/revoke_token/", oauth.revoke_token, methods=["POST"]),
    Route(
        "/api/track/",
        tracking_api.track,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    ),
    Route("/api/events/{namespace}/{name}", tracking_api.aggregate_events, methods=["GET"]),
    *(Route(path, handler, methods=["POST"]) for path, handler in segment.ENDPOINTS.items()),
    *(Route(path, cors.preflight, methods=["OPTIONS"]) for path in segment.ENDPOINTS),
    Route("/segmentio/event", edx.segmentio_event, methods=["POST"]),
    # edX's legacy browser endpoint: pages of the LMS (another origin) send with a write key.
    Route("/event", cors.open_to_any_origin(legacy_event.user_track), methods=["GET", "POST"]),
    Route("/event", cors.preflight, methods=["OPTIONS"]),
    Route("/api/v1/events", erase.erase_events, methods=["DELETE"]),
    Route("/api/v1/live", live.live, methods=["GET"]),
    Route("/system/health", autoupdate.health, methods=["GET"]),
    Route("/system/autoupdate", autoupdate.autoupdate, methods=["GET", "POST"]),
    Route("/system/notify", notify.notify, methods=["GET", "POST"]),
    Route("/system/notify/send", notify.send, methods=["GET", "POST"]),
    Route("/system/applause", applause.applause, methods=["GET", "POST"]),
    # Microticks sessions and click events (api.md 3.5)
    Route("/sessions", microticks.create_session, methods=["POST"]),
    Route("/sessions", sessions_page_or_api, methods=["GET"]),
    Route("/sessions/stop", microticks.stop_session, methods=["POST"]),
    Route("/events", microticks.create_event, methods=["POST"]),
    Route("/events", microticks.list_events, methods=["GET"]),
    Route("/dash", microticks.dash, methods=["GET"]),
    *(
        Route(path, microticks.preflight, methods=["OPTIONS"])
        for path in ("/sessions", "/sessions/stop", "/events")
    ),
    *dashboard.ROUTES,
]

#: Served by http.hotpath.HotPath, past Starlette's layers: the ingest hot paths, and the
#: live stream (every chunk sent to every subscriber would otherwise pass three wrappers).
HOT_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/api/v1/live"): live.live,
    ("POST", "/api/v1/events"): cors.open_to_any_origin(events.create_events),
    ("OPTIONS", "/api/v1/events"): cors.preflight,
    # Browser Segment SDKs post from any site with a write-only key, like native ingest.
    **{("POST", path): cors.open_to_any_origin(h) for path, h in segment.ENDPOINTS.items()},
    **{("OPTIONS", path): cors.preflight for path in segment.ENDPOINTS},
    ("POST", "/events"): microticks.create_event,
}
