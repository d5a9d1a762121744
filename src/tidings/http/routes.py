"""The native API's URL map: ingest, list, aggregate, erase, live, operations, docs, dashboard.

Compat slices keep their own maps; ``tidings/routes.py`` joins them all into the app's one table.
"""

from __future__ import annotations

from tidings.http import apidocs, cors, oauth, openapi, snippet
from tidings.http.api import aggregates, erase, events, live, system
from tidings.http.api.web import read_web
from tidings.http.dashboard import routes as dashboard
from tidings.http.routing import Entry, endpoint

# Hot: the ingest path, and the live stream (every chunk sent to every subscriber would
# otherwise pass three wrappers).
ROUTES: list[Entry] = [
    endpoint("/api/v1/events", cors.open_to_any_origin(events.create_events), "POST", hot=True),
    endpoint("/api/v1/events", events.list_events, "GET"),
    endpoint("/api/v1/events", erase.erase_events, "DELETE"),
    endpoint("/api/v1/events", cors.preflight, "OPTIONS", hot=True),
    endpoint("/api/v1/aggregate", aggregates.read_aggregate, "GET"),
    endpoint("/api/v1/live", live.live, "GET", hot=True),
    endpoint("/api/v1/web", read_web, "GET"),
    endpoint("/healthz", system.healthz, "GET"),
    endpoint("/readyz", system.readyz, "GET"),
    endpoint("/metrics", system.metrics, "GET"),
    endpoint("/openapi.json", openapi.openapi_json, "GET"),
    endpoint("/docs", apidocs.docs, "GET"),
    endpoint("/tidings.js", snippet.tidings_js, "GET"),
    endpoint("/o/token/", oauth.issue_token, "POST"),
    endpoint("/o/revoke_token/", oauth.revoke_token, "POST"),
]

#: The dashboard's pages come last: its static files are a mount.
DASHBOARD: list[Entry] = [*dashboard.ROUTES]
