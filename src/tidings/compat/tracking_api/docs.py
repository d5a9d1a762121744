"""The Tracking API's descriptions for /openapi.json (api.md 3.4)."""

from __future__ import annotations

from tidings.http.openapi_parts import STRING, body, json_answer, obj, param

_DETAIL = json_answer('`{"detail": ...}`', obj(detail=STRING))
_EVENT_IN = {
    "type": "object",
    "required": ["namespace", "name", "value"],
    "properties": {
        "namespace": {"type": "string", "minLength": 1, "maxLength": 120},
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "value": {"type": ["number", "string"], "description": "Any finite number."},
        "timestamp": {
            "type": "string",
            "description": "ISO 8601 (naive = UTC); default: server time.",
        },
    },
}
_EVENT_OUT = obj(
    id={"type": "string", "format": "uuid"},
    name=STRING,
    namespace=STRING,
    timestamp=STRING,
    value={"type": "number"},
)
TRACK = {
    "operationId": "tracking_api_track",
    "tags": ["tracking_api"],
    "summary": "Store one event (needs an OAuth2 token with scope `write`).",
    "description": "JSON or form fields. Only POST stores; the other methods answer 405 "
    "after the scope check, as the original did (safe methods need scope `read`).",
    "security": [{"oauth2": ["write"]}],
    "requestBody": body(_EVENT_IN, "application/json", "application/x-www-form-urlencoded"),
    "responses": {
        "201": json_answer("The created event.", _EVENT_OUT),
        "400": json_answer(
            'DRF-style `{field: [messages]}`, or `{"detail": ...}` for a bad body.',
            {"type": "object"},
        ),
        "401": _DETAIL,
        "403": _DETAIL,
        "405": _DETAIL,
        "413": _DETAIL,
        "415": _DETAIL,
        "429": _DETAIL,
        "503": _DETAIL,
    },
}
AGGREGATE = {
    "operationId": "tracking_api_aggregate",
    "tags": ["tracking_api"],
    "summary": "Time buckets of one namespace and name (needs scope `aggregation`).",
    "description": 'Each bucket is `{"value", "aggregatedTimestamp"}` (the earliest '
    "event in the bucket), ascending. Bounds are inclusive UNIX seconds; either alone is "
    "honoured. `granularity=none` (default) groups by exact timestamp; weeks start Monday.",
    "security": [{"oauth2": ["aggregation"]}],
    "parameters": [
        param("tsMin", "Inclusive start, UNIX seconds.", {"type": "integer"}),
        param("tsMax", "Inclusive end, UNIX seconds.", {"type": "integer"}),
        param(
            "granularity",
            "Bucket size (default none: exact timestamp).",
            {"enum": ["none", "minute", "hour", "day", "week", "month", "year"]},
        ),
        param(
            "aggregationType",
            "min, max, avg, sum or count; anything else means avg, as the original.",
        ),
    ],
    "responses": {
        "200": json_answer(
            "Buckets ascending.",
            {
                "type": "array",
                "items": obj(value={"type": ["number", "null"]}, aggregatedTimestamp=STRING),
            },
        ),
        "400": _DETAIL,
        "401": _DETAIL,
        "403": _DETAIL,
        "429": _DETAIL,
        "503": _DETAIL,
    },
}
