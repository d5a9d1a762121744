"""The pieces the native API's OpenAPI document is built from: query parameters, error
answers, security schemes and the shared schemas (the event in and out, the problem)."""

from __future__ import annotations

from typing import Any


def param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """An optional query parameter (a string unless ``schema`` says otherwise)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def obj(**properties: Any) -> dict[str, Any]:
    """An object schema with these properties."""
    return {"type": "object", "properties": properties}


def json_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A response whose body is JSON of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


INTEGER = {"type": "integer"}
STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
EVENT_IN_REF = {"$ref": "#/components/schemas/EventIn"}
EVENT_REF = {"$ref": "#/components/schemas/Event"}

ERRORS = {
    str(code): {
        "description": text,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
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
FILTERS = [
    param("source", "Source name."),
    param("namespace", "Namespace."),
    param(
        "name", "Event name; repeat for several.", {"type": "array", "items": {"type": "string"}}
    ),
    param("user_id", "User id."),
    param("session_id", "Session id."),
    param("from", "Inclusive start: ISO 8601 or UNIX s/ms/us."),
    param("to", "Exclusive end: ISO 8601 or UNIX s/ms/us."),
]
#: ``prop.KEY=VALUE`` parameters have free names, which OpenAPI cannot declare one by one.
PROP_FILTERS = (
    "Property filters: any number of `prop.KEY=VALUE` query parameters; an event matches when "
    "its property KEY, as text (`true`/`false` for booleans), equals VALUE."
)
#: Who may call: a source's write key, users (Basic or API token) and OAuth2 clients.
SECURITY_SCHEMES = {
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
}
#: Readers: users by Basic or API token, OAuth2 clients with scope read.
READERS: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}, {"oauth2": ["read"]}]

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": INTEGER,
        "detail": STRING,
        "code": STRING,
        "errors": {"type": "array", "items": obj(field=STRING, message=STRING)},
    },
}
EVENT_IN = {
    "type": "object",
    "required": ["namespace", "name"],
    "additionalProperties": False,
    "properties": {
        "namespace": {"type": "string", "minLength": 1, "maxLength": 200},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "timestamp": {
            "oneOf": [{"type": "string", "minLength": 1}, {"type": "number"}],
            "description": "ISO 8601 (naive = UTC) or UNIX s/ms/us; default: server time. "
            "Between 2000-01-01 and one day after the server's time.",
        },
        "value": {"type": "number", "description": "Finite number, default 1."},
        "properties": {"type": "object"},
        "context": {"type": "object"},
        "message_id": {
            "minLength": 1,
            "type": "string",
            "maxLength": 255,
            "description": (
                "Idempotency key: a repeat within the de-duplication window "
                "(TIDINGS_DEDUP_WINDOW_DAYS whole days after the day of the first, default 7) "
                "is acknowledged and stored once; a repeat after it is stored again."
            ),
        },
        "user_id": {"minLength": 1, "type": "string", "maxLength": 255},
        "anonymous_id": {"minLength": 1, "type": "string", "maxLength": 255},
        "session_id": {"minLength": 1, "type": "string", "maxLength": 255},
        "writeKey": {
            "type": "string",
            "minLength": 1,
            "description": "Write key, if not sent in a header.",
        },
    },
}
EVENT_OUT = obj(
    id=INTEGER,
    message_id=STRING,
    source=STRING,
    namespace=STRING,
    name=STRING,
    timestamp={"type": "string", "format": "date-time"},
    received_at={"type": "string", "format": "date-time"},
    value={"type": "number"},
    properties={"type": "object"},
    context={"type": "object"},
    user_id=NULLABLE_STRING,
    anonymous_id=NULLABLE_STRING,
    session_id=NULLABLE_STRING,
)

#: The document's groups, in the order /docs shows them: each operation names one.
TAGS = [
    {"name": "native", "description": "The native API (api.md section 2)."},
    {"name": "segment", "description": "The Segment tracking API (api.md 3.1)."},
    {"name": "edx", "description": "edX: the Segment webhook and event tracking (api.md 3.2)."},
    {"name": "opencast", "description": "Opencast adopter registration and statistics (3.3)."},
    {"name": "tracking_api", "description": "The Django Tracking API and its OAuth2 (3.4)."},
    {"name": "microticks", "description": "Microticks sessions and clicks (api.md 3.5)."},
    {"name": "openslides", "description": "OpenSlides-style autoupdate, notify, applause (3.6)."},
    {"name": "dashboard", "description": "The dashboard's pages and forms (HTML, session cookie)."},
    {"name": "other", "description": "Routes not described yet: listed with their summary."},
]


def body(schema: dict[str, Any], *kinds: str, required: bool = True) -> dict[str, Any]:
    """A request body of ``schema`` in each media type of ``kinds`` (default JSON)."""
    return {
        "required": required,
        "content": {kind: {"schema": schema} for kind in kinds or ("application/json",)},
    }


def answer(description: str, *kinds: str) -> dict[str, Any]:
    """A response with a body whose schema is not declared (HTML, text, streams)."""
    return {"description": description, "content": {kind: {} for kind in kinds}}


def path_param(name: str, description: str) -> dict[str, Any]:
    """A required path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


#: ``"unknown"`` in a list or aggregate answer (core/unknown.py).
UNKNOWN = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Present only when a filter names something never seen: `source:NAME` (no "
    "such source was ever created), `namespace:NS` or `name:NAME` (no event of it was ever "
    "stored; a name within the namespace when one is given). The answer is still 200.",
}
