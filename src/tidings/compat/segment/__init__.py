"""The Segment tracking API, for Segment and RudderStack SDKs (api.md 3.1)."""

from __future__ import annotations

from tidings.compat.segment import docs, routes
from tidings.http import cors
from tidings.http.routing import Entry, endpoint

# Hot: browser SDKs post from any site with a write-only key, like native ingest.
ROUTES: list[Entry] = [
    *(
        endpoint(path, cors.open_to_any_origin(handler), "POST", hot=True, doc=docs.describe(path))
        for path, handler in routes.ENDPOINTS.items()
    ),
    *(
        endpoint(path, cors.preflight, "OPTIONS", hot=True, doc=docs.PREFLIGHT)
        for path in routes.ENDPOINTS
    ),
]
