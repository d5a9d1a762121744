"""The Segment tracking API's descriptions for /openapi.json (api.md 3.1)."""

from __future__ import annotations

from typing import Any

from tidings.http.openapi_parts import STRING, body, json_answer, obj

_OBJECT = {"type": "object"}
_TIME = {
    "oneOf": [{"type": "string"}, {"type": "number"}],
    "description": "ISO 8601 (naive = UTC) or UNIX s/ms/us.",
}
MESSAGE = {
    "type": "object",
    "properties": {
        "type": {
            "type": "string",
            "enum": ["track", "identify", "page", "screen", "group", "alias"],
            "description": "In a batch: which call this message is.",
        },
        "messageId": {"type": "string", "description": "Dedup key: a retry is stored once."},
        "userId": STRING,
        "anonymousId": STRING,
        "event": {"type": "string", "description": "track: the event name (required)."},
        "name": {"type": "string", "description": "page/screen: the page name."},
        "category": STRING,
        "properties": _OBJECT,
        "traits": _OBJECT,
        "groupId": {"type": "string", "description": "group: required."},
        "previousId": {"type": "string", "description": "alias: required, with userId."},
        "context": {
            "type": "object",
            "description": "Stored as the event's context; `context.namespace` overrides "
            "the namespace (default: the source name).",
        },
        "integrations": _OBJECT,
        "timestamp": _TIME,
        "originalTimestamp": _TIME,
        "sentAt": {
            **_TIME,
            "description": "When the client sent it: the event time is corrected by "
            "`received_at - sentAt` (client clock skew).",
        },
        "writeKey": {"type": "string", "description": "The write key, if not sent as Basic."},
    },
}
_BATCH = {
    "type": "object",
    "required": ["batch"],
    "properties": {
        "batch": {"type": "array", "items": MESSAGE},
        "context": {"type": "object", "description": "Default context of every message."},
        "sentAt": {**_TIME, "description": "Default `sentAt` of every message."},
        "writeKey": STRING,
    },
}
_SUCCESS = json_answer(
    'Exactly `{"success": true}`: the SDKs treat any other answer as a failure and resend.',
    obj(success={"type": "boolean", "const": True}),
)
_ERROR = json_answer('`{"code", "message"}` naming the field.', obj(code=STRING, message=STRING))
_ERRORS = {str(code): _ERROR for code in (400, 401, 413, 429, 503)}
#: The write key as a header, a Basic username, a Bearer token or the body's ``writeKey``.
_SECURITY: list[dict[str, list[str]]] = [{"writeKey": []}, {"basic": []}, {"bearer": []}, {}]
_TIMING = (
    "Event time = `timestamp`, else `originalTimestamp`, else the server's time; corrected "
    "for the client's clock with `sentAt` when present (`time + (received_at - sentAt)`). "
    "A time still more than a day ahead of the server or before 2000 after that "
    "correction is clamped to the server's receive time: the message is kept, not refused "
    "(SDKs drop refused messages for good)."
)


def _call(kind: str) -> dict[str, Any]:
    return {
        "operationId": f"segment_{kind}",
        "tags": ["segment"],
        "summary": f"Segment `{kind}` call: one message, stored as one event.",
        "description": _TIMING,
        "security": _SECURITY,
        "requestBody": body(MESSAGE),
        "responses": {"200": _SUCCESS, **_ERRORS},
    }


BATCH = {
    "operationId": "segment_batch",
    "tags": ["segment"],
    "summary": "A batch of Segment messages (`/v1/batch`, `/v1/import`), up to 512 KiB.",
    "description": "Valid messages are stored and invalid ones dropped (each counted in "
    "`tidings_messages_dropped` and logged), still answering success: the SDKs drop a whole "
    "batch on a 400.\n\n" + _TIMING,
    "security": _SECURITY,
    "requestBody": body(_BATCH),
    "responses": {"200": _SUCCESS, **_ERRORS},
}
CALLS = {kind: _call(kind) for kind in ("track", "identify", "page", "screen", "group", "alias")}
PREFLIGHT = {
    "tags": ["segment"],
    "summary": "CORS preflight: browser SDKs post from any origin.",
    "responses": {"204": {"description": "Allowed methods and headers."}},
}


def describe(path: str) -> dict[str, Any]:
    """The description of the POST route at ``path`` (``/v1/<kind>``)."""
    kind = path.rsplit("/", 1)[1]
    return CALLS.get(kind, {**BATCH, "operationId": f"segment_{kind}"})
