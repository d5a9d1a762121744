"""The native API's URL map: ingest, list, aggregate, erase, live, operations, docs, dashboard.

Compat slices keep their own maps; ``tidings/routes.py`` joins them all into the app's one table.
"""

from __future__ import annotations

from tidings.http import apidocs, cors, oauth, openapi, openapi_product, openapi_web, snippet
from tidings.http.api import aggregates, docs, erase, events, live, people, product, system
from tidings.http.api.web import read_web
from tidings.http.dashboard import routes as dashboard
from tidings.http.routing import Entry, endpoint

# Hot: the ingest path, and the live stream (every chunk sent to every subscriber would
# otherwise pass three wrappers).
ROUTES: list[Entry] = [
    endpoint(
        "/api/v1/events",
        cors.open_to_any_origin(events.create_events),
        "POST",
        hot=True,
        doc=docs.CREATE_EVENTS,
    ),
    endpoint("/api/v1/events", events.list_events, "GET", doc=docs.LIST_EVENTS),
    endpoint("/api/v1/events", erase.erase_events, "DELETE", doc=docs.ERASE_EVENTS),
    endpoint("/api/v1/events", cors.preflight, "OPTIONS", hot=True, doc=docs.PREFLIGHT),
    endpoint("/api/v1/aggregate", aggregates.read_aggregate, "GET", doc=docs.READ_AGGREGATE),
    endpoint("/api/v1/funnel", product.read_funnel, "GET", doc=openapi_product.FUNNEL),
    endpoint("/api/v1/retention", product.read_retention, "GET", doc=openapi_product.RETENTION),
    endpoint("/api/v1/persons", people.read_persons, "GET", doc=openapi_product.PERSONS),
    endpoint(
        "/api/v1/persons/{person:path}", people.read_person, "GET", doc=openapi_product.ONE_PERSON
    ),
    endpoint("/api/v1/live", live.live, "GET", hot=True, doc=docs.LIVE),
    endpoint("/api/v1/web", read_web, "GET", doc=openapi_web.READ_WEB),
    endpoint("/healthz", system.healthz, "GET", doc=docs.HEALTHZ),
    endpoint("/readyz", system.readyz, "GET", doc=docs.READYZ),
    endpoint("/metrics", system.metrics, "GET", doc=docs.METRICS),
    endpoint("/openapi.json", openapi.openapi_json, "GET", doc=docs.OPENAPI),
    endpoint("/docs", apidocs.docs, "GET", doc=docs.DOCS),
    endpoint("/tidings.js", snippet.tidings_js, "GET", doc=docs.SNIPPET),
    endpoint("/o/token/", oauth.issue_token, "POST", doc=docs.ISSUE_TOKEN),
    endpoint("/o/revoke_token/", oauth.revoke_token, "POST", doc=docs.REVOKE_TOKEN),
]

#: The dashboard's pages come last: its static files are a mount.
DASHBOARD: list[Entry] = [*dashboard.ROUTES]
