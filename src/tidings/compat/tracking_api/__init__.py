"""The Django Tracking API: OAuth2-scoped event writes and time-bucket reads (api.md 3.4)."""

from __future__ import annotations

from tidings.compat.tracking_api import docs, routes
from tidings.http.routing import Entry, endpoint

ROUTES: list[Entry] = [
    endpoint(
        "/api/track/",
        routes.track,
        *("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        doc=docs.TRACK,
    ),
    endpoint("/api/events/{namespace}/{name}", routes.aggregate_events, "GET", doc=docs.AGGREGATE),
]
