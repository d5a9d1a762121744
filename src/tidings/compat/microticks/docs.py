"""Microticks' descriptions for /openapi.json (api.md 3.5, seed-systems.md 4.2)."""

from __future__ import annotations

from typing import Any

from tidings.http.openapi_parts import INTEGER, STRING, answer, body, json_answer, obj, param

_FORMS = ("application/x-www-form-urlencoded", "application/json")
_STATUS = {"type": "integer", "description": "The HTTP status, repeated in the body."}
_ERROR = json_answer(
    '`{"error"}` for fields, `{"description"}` for tokens and keys, with `status`.',
    obj(error=STRING, description=STRING, status=_STATUS),
)
_ERRORS = {str(code): _ERROR for code in (400, 401, 403, 413, 429, 503)}
_TS = {"type": "string", "description": "The client's time, ISO 8601."}
_FILTERS = [
    param("key", "An API token (or `TIDINGS_MICROTICKS_KEY`); or send reader credentials."),
    param("ip", "Sessions from this address."),
    param("date", "Sessions started on this day (a prefix of `started_at`: YYYY, YYYY-MM...)."),
    param("consumer", "A consumer's id or name."),
    param("sort", "A column of the answer's items (anything else is 400)."),
    param("sort.desc", "Sort descending by this column."),
    param("limit", "Page size.", {"type": "integer", "minimum": 0}),
    param("offset", "Items to skip.", {"type": "integer", "minimum": 0}),
]


def _post(op: str, summary: str, fields: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": f"microticks_{op}",
        "tags": ["microticks"],
        "summary": summary,
        "description": "Form fields (JSON accepted too), checked in the original's order.",
        "requestBody": body(obj(**fields), *_FORMS),
        "responses": {"200": json_answer("Done.", obj(status=_STATUS, **ok)), **_ERRORS},
    }


CREATE_SESSION = _post(
    "create_session",
    'Start a session with a consumer key: `{"token"}`.',
    {"consumer_key": STRING, "ts": _TS},
    {"token": STRING},
)
STOP_SESSION = _post("stop_session", "Stop a session.", {"ts": _TS, "token": STRING}, {})
CREATE_EVENT = _post(
    "create_event",
    'Record an action of a session (answered after commit): `{"event_id"}`.',
    {
        "token": STRING,
        "action": STRING,
        "data": {"description": "JSON text or any string."},
        "ts": _TS,
    },
    {"event_id": INTEGER},
)
LIST_EVENTS = {
    "operationId": "microticks_list_events",
    "tags": ["microticks"],
    "summary": 'Events of the filtered sessions: `{"count", "events"}`.',
    "security": [{}, {"basic": []}, {"bearer": []}],
    "parameters": _FILTERS,
    "responses": {
        "200": json_answer(
            "A page.",
            obj(
                count=INTEGER,
                status=_STATUS,
                events={
                    "type": "array",
                    "items": obj(
                        action=STRING, data={}, id=INTEGER, session_id=INTEGER, time=STRING
                    ),
                },
            ),
        ),
        **_ERRORS,
    },
}
LIST_SESSIONS = {
    "operationId": "microticks_list_sessions",
    "tags": ["microticks"],
    "summary": 'Sessions with their click counts: `{"count", "sessions"}`.',
    "description": "A browser page load (HTML wanted, or a dashboard cookie, and no key or "
    "Authorization) gets the dashboard's sessions page instead.",
    "security": [{}, {"basic": []}, {"bearer": []}],
    "parameters": _FILTERS,
    "responses": {
        "200": {
            "description": "A page (JSON), or the dashboard's page (HTML).",
            "content": {
                "application/json": {
                    "schema": obj(
                        count=INTEGER,
                        status=_STATUS,
                        sessions={"type": "array", "items": {"type": "object"}},
                    )
                },
                "text/html": {},
            },
        },
        **_ERRORS,
    },
}
HOME = {
    "operationId": "home",
    "tags": ["microticks"],
    "summary": "The dashboard's overview for a logged-in user, else Microticks' own page.",
    "responses": {"200": answer("HTML.", "text/html")},
}
DASH = {
    "operationId": "microticks_dash",
    "tags": ["microticks"],
    "summary": "The original's dashboard: redirects to Tidings' dashboard.",
    "responses": {"default": {"description": "A redirect."}},
}
PREFLIGHT = {
    "tags": ["microticks"],
    "summary": "CORS preflight for JSON posts and keyed reads from other origins.",
    "responses": {"204": {"description": "Allowed methods and headers."}},
}
ADMIN = {
    "tags": ["dashboard"],
    "summary": "The dashboard's page and forms for Microticks consumers (admin, session cookie).",
}
