"""The OpenSlides-style /system routes' descriptions for /openapi.json (api.md 3.6)."""

from __future__ import annotations

from typing import Any

from tidings.http.openapi_parts import STRING, body, json_answer, obj, param

_ERROR = json_answer(
    '`{"error": {"type", "msg"}}`: `auth_required`, `forbidden` or `invalid_request`.',
    obj(error=obj(type=STRING, msg=STRING)),
)
_ERRORS = {str(code): _ERROR for code in (400, 401, 403, 413, 429, 503)}
#: A Tidings session cookie, an API token or Basic; anonymous only with TIDINGS_ANONYMOUS_READ.
_READERS: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}, {}]
_STREAM: dict[str, Any] = {"application/octet-stream": {}}


def _stream(summary: str, description: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tags": ["openslides"],
        "summary": summary,
        "description": description,
        "security": _READERS,
        "parameters": params,
        "responses": {"200": {"description": "NDJSON lines.", "content": _STREAM}, **_ERRORS},
    }


HEALTH = {
    "operationId": "system_health",
    "tags": ["openslides"],
    "summary": '`{"healthy": true}`.',
    "responses": {"200": json_answer("Healthy.", obj(healthy={"type": "boolean"}))},
}
AUTOUPDATE = {
    **_stream(
        "Live counters per namespace and name, as NDJSON lines.",
        'First line `{"connected":true}`, then `{"changed", "deleted", '
        '"from_change_id", "to_change_id", "all_data"}`. Collection = namespace, element '
        'id = event name: `{"id", "count", "sum", "last_value", "last_timestamp"}`. '
        "The change id is the event id; `change_id=0` (or one older than the retained data) "
        "gives the full snapshot with `all_data: true`.",
        [param("change_id", "Resume after this change id (default 0).", {"type": "integer"})],
    ),
    "operationId": "system_autoupdate",
}
COUNTERS = {**AUTOUPDATE, "operationId": "live_counters", "tags": ["live"]}
AUTOUPDATE = {
    **AUTOUPDATE,
    "description": AUTOUPDATE["description"]
    + " With the OpenSlides mode on (`TIDINGS_OPENSLIDES_REDIS_URL` or `MESSAGE_BUS_HOST`), "
    "OpenSlides' own collections from its Redis instead, restricted per user "
    "(docs/openslides.md).",
}
PROJECTOR: dict[str, Any] = {
    **_stream(
        "OpenSlides projectors, as NDJSON lines (the OpenSlides mode only; 404 otherwise).",
        "One object per line: projector id -> its rendered elements; first all projectors "
        "asked for, then only those whose rendering changed.",
        [param("projector_ids", "Comma-separated projector ids (default: all).")],
    ),
    "operationId": "system_projector",
}
PROJECTOR["responses"] = {**PROJECTOR["responses"], "404": _ERROR}
NOTIFY = {
    **_stream(
        'A notify channel: `{"connected":true}`, its `{"channel_id"}`, then messages.',
        'Messages are `{"sender_user_id", "sender_channel_id", "name", "message"}` '
        "lines, routed by `to_all`, `to_users` or `to_channels`; no history is replayed.",
        [],
    ),
    "operationId": "system_notify",
}
SEND = {
    "operationId": "system_notify_send",
    "tags": ["openslides"],
    "summary": "Send a notify message (logged-in users).",
    "description": "The uid inside `channel_id` must be the caller's; `name` is required and "
    "may not be `applause`.",
    "security": [{"basic": []}, {"bearer": []}],
    "requestBody": body(
        obj(
            channel_id={"type": "string", "description": "`<instance>:<uid>:<n>`"},
            name=STRING,
            message={},
            to_all={"type": "boolean"},
            to_users={"type": "array", "items": {"type": "integer"}},
            to_channels={"type": "array", "items": STRING},
        )
    ),
    "responses": {"200": {"description": "Sent (empty body)."}, **_ERRORS},
}
APPLAUSE = {
    "operationId": "system_applause",
    "tags": ["openslides"],
    "summary": "Applaud (logged-in users); the rounds count distinct users in the window.",
    "security": [{"basic": []}, {"bearer": []}],
    "responses": {"200": {"description": "Counted (empty body)."}, **_ERRORS},
}
