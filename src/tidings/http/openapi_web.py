"""The OpenAPI entry of ``GET /api/v1/web`` (api.md section 8), joined into the document by
``openapi.py``."""

from __future__ import annotations

from typing import Any

from tidings.core.product.web import SERIES_GRANULARITIES, TOP_LISTS
from tidings.http.openapi_parts import (
    ERRORS,
    FILTERS,
    INTEGER,
    PROP_FILTERS,
    READERS,
    STRING,
    json_answer,
    obj,
    param,
)

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_TOP_ROW = obj(value=STRING, visitors=INTEGER, pageviews=INTEGER)

DESCRIPTION = (
    "Plausible-style summary of the `pageView` events `/tidings.js` sends. Visitors are "
    "persons (user id, the user an anonymous id is linked to, else the anonymous id, which "
    "the server sets to a daily-salted hash for browser events). Sessions are the snippet's "
    "`session_id` (30 idle minutes or a new UTC day end one); page views without one are "
    "split per person at 30-minute gaps. `bounce_rate` is the share of sessions with one "
    "page view; `avg_session_seconds` the mean of last minus first page view per session "
    "(both null without sessions). Top lists: `pages` by each page view's `path`; the "
    "others by the session's first page view (`entry_pages`, `referrers`, `utm_sources`, "
    "`browsers`, `os`, `devices`), counting all page views of those sessions; sorted by "
    "visitors, then page views, then value; missing values (direct visits) are not listed. "
    "Default range: the last 30 days. " + PROP_FILTERS
)


def _read_web() -> dict[str, Any]:
    point = obj(start=STRING, visitors=INTEGER, pageviews=INTEGER)
    answer = obj(
        visitors=INTEGER,
        pageviews=INTEGER,
        sessions=INTEGER,
        bounce_rate=_NUMBER_OR_NULL,
        avg_session_seconds=_NUMBER_OR_NULL,
        top=obj(**{name: {"type": "array", "items": _TOP_ROW} for name, _ in TOP_LISTS}),
        granularity=STRING,
        tz=STRING,
        series={"type": "array", "items": point},
    )
    return {
        "operationId": "read_web",
        "summary": "Web analytics: visitors, page views, sessions and the top lists.",
        "description": DESCRIPTION,
        "security": [*READERS, {"oauth2": ["aggregation"]}],
        "parameters": [
            *FILTERS,
            param("tz", "IANA time zone of the series buckets (default UTC)."),
            param(
                "granularity",
                "Series bucket size (default: hour up to 2 days, day up to 400, "
                "week up to 5 years, else month).",
                {"enum": list(SERIES_GRANULARITIES)},
            ),
            param(
                "limit",
                "Rows per top list (default 10).",
                {"type": "integer", "minimum": 1, "maximum": 1000},
            ),
        ],
        "responses": {"200": json_answer("The summary over the range.", answer), **ERRORS},
    }


READ_WEB: dict[str, Any] = _read_web()
