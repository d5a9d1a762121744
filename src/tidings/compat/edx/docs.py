"""edX's descriptions for /openapi.json (api.md 3.2)."""

from __future__ import annotations

from tidings.http.openapi_parts import STRING, answer, body, json_answer, obj, param

_COMMITTED = obj(committed={"type": "boolean"}, message=STRING)
SEGMENTIO_EVENT = {
    "operationId": "edx_segmentio_event",
    "tags": ["edx"],
    "summary": "edx-platform's Segment webhook (the 2014 contract): one Segment message.",
    "description": "Checks in this order: the `key` secret (401), the channel and action "
    "allow-lists (`TIDINGS_SEGMENTIO_ALLOWED_CHANNELS`, `..._ACTIONS`: 200 with "
    "`committed: false`), `userId` (an integer of a user seen via identify), `timestamp` "
    "and `receivedAt`, then `properties.event_type`. Every answer is "
    '`{"committed": bool, "message"?: str}`.',
    "parameters": [param("key", "The webhook secret (`TIDINGS_SEGMENTIO_WEBHOOK_SECRET`).")],
    "requestBody": body(
        obj(
            userId={"type": ["integer", "string"]},
            event=STRING,
            channel=STRING,
            action=STRING,
            timestamp=STRING,
            receivedAt=STRING,
            messageId=STRING,
            context={"type": "object"},
            properties=obj(event_type=STRING, event={}, context={"type": "object"}),
        )
    ),
    "responses": {
        str(code): json_answer(text, _COMMITTED)
        for code, text in (
            (200, "Committed, or ignored by the channel or action lists (`committed: false`)."),
            (400, "A required field is missing or wrong (`message` says which)."),
            (401, "No or wrong `key`."),
            (413, "Body too large."),
            (429, "Over the rate limit."),
            (503, "Write queue full or storage unavailable."),
        )
    },
}
_FIELDS = obj(
    event_type={"type": "string", "minLength": 1, "description": "The event's name."},
    event={"description": "The event's data: JSON text, decoded when it is JSON."},
    page={"type": "string", "description": "The page the browser was on."},
    writeKey={"type": "string", "description": "The source's write key, if not in a header."},
)
USER_TRACK = {
    "operationId": "edx_user_track",
    "tags": ["edx"],
    "summary": "The legacy browser endpoint (`user_track`): answers the text `success`.",
    "description": "Fields `event_type`, `event`, `page` as form fields, query parameters or "
    "JSON; a source write key as for native ingest, or `?writeKey=` for browsers that cannot "
    "set headers. The namespace is the source's name.",
    "security": [{"writeKey": []}, {"basic": []}, {"bearer": []}, {}],
    "parameters": [
        param("event_type", "The event's name."),
        param("event", "The event's data (JSON text)."),
        param("page", "The page."),
        param("writeKey", "The source's write key."),
    ],
    "requestBody": body(
        _FIELDS, "application/x-www-form-urlencoded", "application/json", required=False
    ),
    "responses": {
        "200": answer("`success`", "text/plain"),
        # Text from the handler; problem+json from the guard in front of every route (a NUL
        # or lone surrogate in a parameter never reaches the handler).
        "400": answer(
            "A field is missing or wrong. The body says why, as text (or as problem+json for a "
            "NUL or lone surrogate in a parameter).",
            "text/plain",
            "application/problem+json",
        ),
        **{
            str(code): answer(f"{text} The body says why, as text.", "text/plain")
            for code, text in (
                (401, "No or unknown write key."),
                (413, "Body too large."),
                (429, "Over the rate limit."),
                (503, "Write queue full or storage unavailable."),
            )
        },
    },
}
PREFLIGHT = {
    "tags": ["edx"],
    "summary": "CORS preflight: LMS pages on another origin post events with a write key.",
    "responses": {"204": {"description": "Allowed methods and headers."}},
}
