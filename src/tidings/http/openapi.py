"""The OpenAPI 3.1 document of the native API (``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tidings import __version__
from tidings.core.aggregate import FUNCTIONS
from tidings.core.buckets import GRANULARITIES
from tidings.http.deps import limit_anonymous
from tidings.http.openapi_parts import (
    ERRORS,
    EVENT_IN,
    EVENT_IN_REF,
    EVENT_OUT,
    EVENT_REF,
    FILTERS,
    INTEGER,
    NULLABLE_STRING,
    PROBLEM,
    PROP_FILTERS,
    READERS,
    SECURITY_SCHEMES,
    STRING,
    json_answer,
    obj,
    param,
)


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tidings native API",
            "version": __version__,
            "description": "Ingest, list and aggregate events. Writes use a source write key; "
            "reads use HTTP Basic with a viewer or admin user, a user's API token, or an "
            "OAuth2 token with scope read (aggregation for aggregates).",
        },
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {"Problem": PROBLEM, "EventIn": EVENT_IN, "Event": EVENT_OUT},
        },
        "paths": {
            "/api/v1/events": {
                "post": _create_events(),
                "get": _list_events(),
                "delete": _erase_events(),
            },
            "/api/v1/aggregate": {"get": _read_aggregate()},
            **_operations(),
        },
    }


def _create_events() -> dict[str, Any]:
    batch = {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {"type": "array", "minItems": 1, "maxItems": 10000, "items": EVENT_IN_REF},
            "writeKey": STRING,
        },
    }
    answer = obj(accepted=INTEGER, duplicates=INTEGER, ids={"type": "array", "items": INTEGER})
    return {
        "operationId": "create_events",
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
    page = obj(events={"type": "array", "items": EVENT_REF}, next=NULLABLE_STRING)
    return {
        "operationId": "list_events",
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
    )
    return {
        "operationId": "read_aggregate",
        "summary": "Aggregate events into time buckets in a time zone.",
        "description": PROP_FILTERS,
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


def _operations() -> dict[str, Any]:
    return {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Process is up.",
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Storage reachable.",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics.",
                "security": READERS,
                "responses": {"200": {"description": "Prometheus text format."}, **ERRORS},
            }
        },
    }


async def openapi_json(request: Request) -> Response:
    await limit_anonymous(request)
    return JSONResponse(document())
