"""The OpenAPI 3.1 document of the native API, and a dependency-free HTML page for it."""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from tidings import __version__
from tidings.core.aggregate import FUNCTIONS
from tidings.core.buckets import GRANULARITIES
from tidings.http.deps import limit_anonymous


def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_ERRORS = {
    str(code): {
        "description": text,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }
    for code, text in (
        (400, "Invalid input; `errors` names each field."),
        (401, "No or unknown credential."),
        (403, "Credential may not do this."),
        (413, "Body or event too large."),
        (429, "Credential or client IP over its rate limit; see Retry-After."),
        (503, "Write queue full or storage unavailable; see Retry-After."),
    )
}
_FILTERS = [
    _param("source", "Source name."),
    _param("namespace", "Namespace."),
    _param(
        "name", "Event name; repeat for several.", {"type": "array", "items": {"type": "string"}}
    ),
    _param("user_id", "User id."),
    _param("session_id", "Session id."),
    _param("from", "Inclusive start: ISO 8601 or UNIX s/ms/us."),
    _param("to", "Exclusive end: ISO 8601 or UNIX s/ms/us."),
]
#: ``prop.KEY=VALUE`` parameters have free names, which OpenAPI cannot declare one by one.
_PROP_FILTERS = (
    "Property filters: any number of `prop.KEY=VALUE` query parameters; an event matches when "
    "its property KEY, as text (`true`/`false` for booleans), equals VALUE."
)
_EVENT_IN = {
    "type": "object",
    "required": ["namespace", "name"],
    "additionalProperties": False,
    "properties": {
        "namespace": {"type": "string", "minLength": 1, "maxLength": 200},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "timestamp": {
            "oneOf": [{"type": "string"}, {"type": "number"}],
            "description": "ISO 8601 (naive = UTC) or UNIX s/ms/us; default: server time.",
        },
        "value": {"type": "number", "description": "Finite number, default 1."},
        "properties": {"type": "object"},
        "context": {"type": "object"},
        "message_id": {
            "type": "string",
            "maxLength": 255,
            "description": "Idempotency key: a repeat is acknowledged and stored once.",
        },
        "user_id": {"type": "string", "maxLength": 255},
        "anonymous_id": {"type": "string", "maxLength": 255},
        "session_id": {"type": "string", "maxLength": 255},
        "writeKey": {"type": "string", "description": "Write key, if not sent in a header."},
    },
}
_EVENT_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "message_id": {"type": "string"},
        "source": {"type": "string"},
        "namespace": {"type": "string"},
        "name": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "received_at": {"type": "string", "format": "date-time"},
        "value": {"type": "number"},
        "properties": {"type": "object"},
        "context": {"type": "object"},
        "user_id": {"type": ["string", "null"]},
        "anonymous_id": {"type": ["string", "null"]},
        "session_id": {"type": ["string", "null"]},
    },
}


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
            "securitySchemes": {
                "writeKey": {"type": "apiKey", "in": "header", "name": "X-Write-Key"},
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A user's API token (the user's role) or an OAuth2 token.",
                },
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/o/token/",
                            "scopes": {
                                "read": "list events and aggregate",
                                "write": "ingest events (into the client's source)",
                                "aggregation": "aggregate",
                            },
                        }
                    },
                },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "EventIn": _EVENT_IN,
                "Event": _EVENT_OUT,
            },
        },
        "paths": _paths(),
    }


def _paths() -> dict[str, Any]:
    event_in = {"$ref": "#/components/schemas/EventIn"}
    return {
        "/api/v1/events": {
            "post": {
                "operationId": "create_events",
                "summary": "Store one event or a batch of up to 10,000 (answered after commit).",
                "security": [{"writeKey": []}, {"oauth2": ["write"]}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    event_in,
                                    {
                                        "type": "object",
                                        "required": ["events"],
                                        "properties": {
                                            "events": {
                                                "type": "array",
                                                "minItems": 1,
                                                "maxItems": 10000,
                                                "items": event_in,
                                            },
                                            "writeKey": {"type": "string"},
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Committed. `ids` has one id per input event, in order.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "accepted": {"type": "integer"},
                                        "duplicates": {"type": "integer"},
                                        "ids": {"type": "array", "items": {"type": "integer"}},
                                    },
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            },
            "get": {
                "operationId": "list_events",
                "summary": "List events with filters and cursor pagination, or export them.",
                "description": _PROP_FILTERS,
                "security": [{"basic": []}, {"bearer": []}, {"oauth2": ["read"]}],
                "parameters": [
                    *_FILTERS,
                    _param("after", "Cursor from a previous page's `next`."),
                    _param("limit", "Page size (1-10000, default 100).", {"type": "integer"}),
                    _param(
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
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "events": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Event"},
                                        },
                                        "next": {"type": ["string", "null"]},
                                    },
                                }
                            },
                        },
                    },
                    **_ERRORS,
                },
            },
            "delete": {
                "operationId": "erase_events",
                "summary": "Erase a person's events, or those of a filter (admin); rollups "
                "stay consistent.",
                "description": _PROP_FILTERS,
                "security": [{"basic": []}],
                "parameters": [
                    *_FILTERS,
                    _param("anonymous_id", "Delete every event with this anonymous id."),
                ],
                "responses": {
                    "200": {
                        "description": "How many events were deleted.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"deleted": {"type": "integer"}},
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            },
        },
        "/api/v1/aggregate": {
            "get": {
                "operationId": "read_aggregate",
                "summary": "Aggregate events into time buckets in a time zone.",
                "description": _PROP_FILTERS,
                "security": [
                    {"basic": []},
                    {"bearer": []},
                    {"oauth2": ["read"]},
                    {"oauth2": ["aggregation"]},
                ],
                "parameters": [
                    *_FILTERS,
                    _param(
                        "granularity", "Bucket size (default day).", {"enum": list(GRANULARITIES)}
                    ),
                    _param("fn", "Function (default count).", {"enum": list(FUNCTIONS)}),
                    _param("tz", "IANA time zone for bucket alignment (default UTC)."),
                    _param("group_by", "name, source, namespace or prop.<key>."),
                    _param("fill", "Emit empty buckets too.", {"type": "boolean"}),
                    _param(
                        "approx",
                        "distinct_users and p50..p99 only: buckets spanning several whole "
                        "sealed UTC days or streams merge per-day sketches instead of scanning "
                        "events (distinct users ~1.6% standard error, percentiles within 1% "
                        "relative error). Default false: exact.",
                        {"type": "boolean"},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "Buckets ascending by start.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "granularity": {"type": "string"},
                                        "fn": {"type": "string"},
                                        "tz": {"type": "string"},
                                        "buckets": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "start": {"type": ["string", "null"]},
                                                    "value": {"type": ["number", "null"]},
                                                    "count": {"type": "integer"},
                                                    "group": {"type": ["string", "null"]},
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            }
        },
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
                "security": [{"basic": []}, {"bearer": []}, {"oauth2": ["read"]}],
                "responses": {"200": {"description": "Prometheus text format."}, **_ERRORS},
            }
        },
    }


async def openapi_json(request: Request) -> Response:
    await limit_anonymous(request)
    return JSONResponse(document())


def _render_operation(path: str, method: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['description'])}</td></tr>"
        for p in op.get("parameters", [])
    )
    table = f"<table><tr><th>parameter</th><th>meaning</th></tr>{rows}</table>" if rows else ""
    codes = ", ".join(html.escape(code) for code in op.get("responses", {}))
    return (
        f"<section><h2><code>{method.upper()} {html.escape(path)}</code></h2>"
        f"<p>{html.escape(op.get('summary', ''))}</p>"
        f"<p>{html.escape(op.get('description', ''))}</p>{table}<p>Responses: {codes}</p></section>"
    )


async def docs(request: Request) -> Response:
    await limit_anonymous(request)
    doc = document()
    body = "".join(
        _render_operation(path, method, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    )
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Tidings API</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;"
        "margin:auto;padding:1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:left}code{background:#f4f4f4}</style></head><body>"
        f"<h1>Tidings native API {html.escape(doc['info']['version'])}</h1>"
        f"<p>{html.escape(doc['info']['description'])} The machine-readable document is at "
        "<a href='/openapi.json'>/openapi.json</a>. Errors are RFC 9457 problem+json.</p>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page)
