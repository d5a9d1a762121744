"""The native API's descriptions for /openapi.json, one operation per route entry
(http/routes.py attaches each with ``endpoint(..., doc=...)``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tidings.core.aggregate import FUNCTIONS
from tidings.core.buckets import GRANULARITIES
from tidings.http.api.aggregates import DEFAULT_SPAN
from tidings.http.openapi_parts import (
    ERRORS,
    EVENT_IN_REF,
    EVENT_REF,
    FILTERS,
    INTEGER,
    NULLABLE_STRING,
    PROP_FILTERS,
    READERS,
    STRING,
    UNKNOWN,
    json_answer,
    obj,
    param,
)


def _create_events() -> dict[str, Any]:
    batch = {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {"type": "array", "minItems": 1, "maxItems": 10000, "items": EVENT_IN_REF},
            "writeKey": {"type": "string", "minLength": 1},
        },
    }
    answer = obj(accepted=INTEGER, duplicates=INTEGER, ids={"type": "array", "items": INTEGER})
    return {
        "operationId": "create_events",
        "tags": ["native"],
        "summary": "Store one event or a batch of up to 10,000 (answered after commit).",
        "security": [{"writeKey": []}, {"oauth2": ["write"]}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [EVENT_IN_REF, batch]}}},
        },
        "responses": {
            "200": json_answer("Committed. `ids` has one id per input event, in order.", answer),
            **ERRORS,
        },
    }


def _list_events() -> dict[str, Any]:
    page = obj(events={"type": "array", "items": EVENT_REF}, next=NULLABLE_STRING, unknown=UNKNOWN)
    return {
        "operationId": "list_events",
        "tags": ["native"],
        "summary": "List events with filters and cursor pagination, or export them.",
        "description": PROP_FILTERS,
        "security": READERS,
        "parameters": [
            *FILTERS,
            param("after", "Cursor from a previous page's `next`."),
            param("limit", "Page size (1-10000, default 100).", {"type": "integer"}),
            param(
                "format",
                "json (a page), ndjson or csv (streamed export of all matches).",
                {"type": "string", "enum": ["json", "ndjson", "csv"]},
            ),
        ],
        "responses": {
            "200": {
                "description": "A page of events (json), or every match streamed as "
                "one JSON event per line (ndjson) or CSV with a header row (csv).",
                "content": {
                    "application/x-ndjson": {},
                    "text/csv": {},
                    "application/json": {"schema": page},
                },
            },
            **ERRORS,
        },
    }


def _erase_events() -> dict[str, Any]:
    return {
        "operationId": "erase_events",
        "tags": ["native"],
        "summary": "Erase a person's events, or those of a filter (admin); rollups "
        "stay consistent.",
        "description": PROP_FILTERS,
        "security": [{"basic": []}],
        "parameters": [
            *FILTERS,
            param("anonymous_id", "Delete every event with this anonymous id."),
        ],
        "responses": {
            "200": json_answer(
                "How many events were deleted. Erasing a person (`user_id` or `anonymous_id`) "
                "also says how many person records went and, per id of the person (the user "
                "id and every anonymous or previous id linked to it), how many events.",
                obj(
                    deleted=INTEGER,
                    person_records=INTEGER,
                    ids={"type": "object", "additionalProperties": INTEGER},
                ),
            ),
            **ERRORS,
        },
    }


def _words(span: timedelta) -> str:
    hours = int(span.total_seconds()) // 3600
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours" if hours > 1 else "1 hour"


def _default_ranges() -> str:
    """The range an aggregate covers when ``from`` is left out, per granularity."""
    spans = ", ".join(f"{name} {_words(span)}" for name, span in DEFAULT_SPAN.items())
    return (
        "Without `to`, the range ends now; without `from`, it starts this long before `to`, "
        f"by granularity: {spans} (`total`: every event)."
    )


def _read_aggregate() -> dict[str, Any]:
    bucket = obj(
        start=NULLABLE_STRING,
        value={"type": ["number", "null"]},
        count=INTEGER,
        group=NULLABLE_STRING,
    )
    answer = obj(
        granularity=STRING,
        fn=STRING,
        tz=STRING,
        buckets={"type": "array", "items": bucket},
        groups_total=INTEGER,
        unknown=UNKNOWN,
    )
    return {
        "operationId": "read_aggregate",
        "tags": ["native"],
        "summary": "Aggregate events into time buckets in a time zone.",
        "description": f"{PROP_FILTERS}\n\n{_default_ranges()}",
        "security": [*READERS, {"oauth2": ["aggregation"]}],
        "parameters": [
            *FILTERS,
            param("granularity", "Bucket size (default day).", {"enum": list(GRANULARITIES)}),
            param("fn", "Function (default count).", {"enum": list(FUNCTIONS)}),
            param("tz", "IANA time zone for bucket alignment (default UTC)."),
            param(
                "group_by",
                "name, source, namespace or prop.<key>; the answer adds groups_total, the "
                "groups in the range (events without the property form the group null).",
            ),
            param(
                "limit",
                "With group_by: keep the groups with the most events over the range (ties "
                'by value, null after values) and fold the rest into one group "(other)" '
                "(default 50).",
                {"type": "integer", "minimum": 1, "maximum": 1000},
            ),
            param("fill", "Emit empty buckets too.", {"type": "boolean"}),
            param(
                "approx",
                "distinct_users and p50..p99 only: buckets spanning several whole "
                "sealed UTC days or streams merge per-day sketches instead of scanning "
                "events (distinct users ~1.6% standard error, percentiles within 1% "
                "relative error). Default false: exact.",
                {"type": "boolean"},
            ),
        ],
        "responses": {"200": json_answer("Buckets ascending by start.", answer), **ERRORS},
    }


HEALTHZ = {
    "operationId": "healthz",
    "tags": ["native"],
    "summary": "Process is up.",
    "responses": {"200": {"description": "ok"}},
}
READYZ = {
    "operationId": "readyz",
    "tags": ["native"],
    "summary": "Storage (and the bus, when there is one) reachable.",
    "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
}
METRICS = {
    "operationId": "metrics",
    "tags": ["native"],
    "summary": "Prometheus metrics: ingest counters, queue depth, commit latency histogram.",
    "security": READERS,
    "responses": {
        "200": {"description": "Prometheus text format.", "content": {"text/plain": {}}},
        **ERRORS,
    },
}
LIVE = {
    "operationId": "live",
    "tags": ["native"],
    "summary": "Committed events as they are stored: Server-Sent Events, or NDJSON.",
    "description": "Same filters as `GET /api/v1/events`. Each SSE message's `id:` is the "
    "event id; reconnecting with `Last-Event-ID` (or `after`) replays what was missed, then "
    "continues with no gap and no duplicate. Keepalive comments every 15 s.\n\n" + PROP_FILTERS,
    "security": READERS,
    "parameters": [
        *FILTERS,
        param("after", "Resume after this event id (as `Last-Event-ID`).", INTEGER),
        param(
            "format",
            "`sse` (default) or `ndjson` (one JSON event per line).",
            {"type": "string", "enum": ["sse", "ndjson"]},
        ),
    ],
    "responses": {
        "200": {
            "description": "An endless stream of events.",
            "content": {"text/event-stream": {}, "application/x-ndjson": {}},
        },
        **ERRORS,
    },
}
OPENAPI = {
    "operationId": "openapi",
    "tags": ["native"],
    "summary": "This document (OpenAPI 3.1).",
    "responses": {"200": json_answer("The OpenAPI document.", {"type": "object"})},
}
DOCS = {
    "operationId": "docs",
    "tags": ["native"],
    "summary": "This document as an HTML page.",
    "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}},
}
SNIPPET = {
    "operationId": "tidings_js",
    "tags": ["native"],
    "summary": "The browser snippet (`tidings.js`), served with a long cache lifetime.",
    "responses": {"200": {"description": "JavaScript.", "content": {"text/javascript": {}}}},
}
PREFLIGHT = {
    "tags": ["native"],
    "summary": "CORS preflight: any origin may post events with a write key.",
    "responses": {"204": {"description": "Allowed methods and headers."}},
}
_TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": STRING,
        "client_secret": STRING,
        "scope": {"type": "string", "description": "Space-separated: read, write, aggregation."},
    },
}
_OAUTH_ERROR = json_answer(
    '`{"error": "invalid_request" | "unsupported_grant_type" | "invalid_scope"}`',
    obj(error=STRING, error_description=STRING),
)
ISSUE_TOKEN = {
    "operationId": "issue_token",
    "tags": ["tracking_api"],
    "summary": "OAuth2 client-credentials grant: a Bearer token with the asked (or all) scopes.",
    "description": "Client id and secret in the form or as HTTP Basic (form-urlencoded before "
    "encoding, RFC 6749 2.3.1). Tokens expire after 36000 s.",
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": _TOKEN_FORM}},
    },
    "responses": {
        "200": json_answer(
            "The token.",
            obj(access_token=STRING, expires_in=INTEGER, token_type=STRING, scope=STRING),
        ),
        "400": _OAUTH_ERROR,
        "401": json_answer('`{"error": "invalid_client"}`', obj(error=STRING)),
        "413": _OAUTH_ERROR,
        "429": ERRORS["429"],
    },
}
REVOKE_TOKEN = {
    "operationId": "revoke_token",
    "tags": ["tracking_api"],
    "summary": "Revoke an access token of the authenticated client (RFC 7009).",
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    **obj(token=STRING, client_id=STRING, client_secret=STRING),
                    "required": ["token"],
                }
            }
        },
    },
    "responses": {
        "200": {"description": "Revoked (or was not a token of this client)."},
        "400": _OAUTH_ERROR,
        "401": json_answer('`{"error": "invalid_client"}`', obj(error=STRING)),
        "413": _OAUTH_ERROR,
        "429": ERRORS["429"],
    },
}
CREATE_EVENTS = _create_events()
LIST_EVENTS = _list_events()
ERASE_EVENTS = _erase_events()
READ_AGGREGATE = _read_aggregate()
