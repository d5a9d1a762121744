"""Opencast's descriptions for /openapi.json (api.md 3.3, seed-systems.md 1.3-1.4)."""

from __future__ import annotations

from typing import Any

from tidings.http.openapi_parts import STRING, body, json_answer, obj, param

_MESSAGE = json_answer(
    '`{"message": ...}` naming the field or the unknown id.', obj(message=STRING)
)
_ERRORS = {str(code): _MESSAGE for code in (400, 401, 403, 404, 413, 429, 503)}
_READERS: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}]
#: Keyed routes are open: the random key is the capability, as real Opencast sends none.
_OPEN: list[dict[str, list[str]]] = [{}]
_KEY = {"type": "string", "minLength": 1, "maxLength": 255}
_ANY = {"type": "object"}
_PAGE = [
    param("__limit", "Page size (default and at most 10,000).", {"type": "integer", "minimum": 0}),
    param("__offset", "Items to skip.", {"type": "integer", "minimum": 0}),
]
ADOPTER = {
    "type": "object",
    "required": ["adopter_key"],
    "properties": {
        "adopter_key": _KEY,
        **{
            name: {"type": ["string", "null"]}
            for name in (
                "country",
                "postal_code",
                "city",
                "street",
                "street_no",
                "organisation_name",
                "email",
                "first_name",
                "last_name",
                "department_name",
                "system_type",
            )
        },
        **{
            name: {"type": ["boolean", "null"]}
            for name in ("contact_me", "send_errors", "send_usage")
        },
    },
}
STATISTIC = {
    "type": "object",
    "required": ["statistic_key"],
    "properties": {
        "statistic_key": _KEY,
        "adopter_key": {"type": ["string", "null"]},
        "version": {"type": ["string", "null"]},
        "hosts": {"type": ["array", "null"], "items": _ANY},
        **{
            name: {"type": ["integer", "null"]}
            for name in (
                "job_count",
                "event_count",
                "ca_count",
                "series_count",
                "user_count",
                "total_minutes",
                "tenant_count",
            )
        },
    },
}
TOBIRA = {
    "type": "object",
    "required": ["statistic_key"],
    "properties": {"statistic_key": _KEY, "data": _ANY},
}


def _op(op: str, summary: str, security: list[dict[str, list[str]]], **rest: Any) -> dict[str, Any]:
    ok = rest.pop("ok", json_answer("Done.", _ANY))
    return {
        "operationId": f"opencast_{op}",
        "tags": ["opencast"],
        "summary": summary,
        "security": security,
        **rest,
        "responses": {"200": ok, **_ERRORS},
    }


def _upsert(kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    return _op(
        f"upsert_{kind}",
        f"Create or update a {kind} by its key (generation C); fields left out stay as they were.",
        _OPEN,
        description="JSON; a body that is not UTF-8 is read as latin-1, and `Content-Type: "
        "application/json; utf-8` is accepted, as Opencast sends them.",
        requestBody=body(schema),
        ok=json_answer(f'`{{"{kind}": {{...}}}}`: the stored {kind}.', _ANY),
    )


def _delete(kind: str, key: str) -> dict[str, Any]:
    return _op(
        f"delete_{kind}",
        f"Delete a {kind} by its key (a JSON body).",
        _OPEN,
        requestBody=body({"type": "object", "required": [key], "properties": {key: _KEY}}),
        ok=json_answer('`{"deleted": key}`', obj(deleted=STRING)),
    )


def _list(kind: str, many: str) -> dict[str, Any]:
    return _op(f"list_{many}", f"Every {kind} (viewer or admin).", _READERS, parameters=_PAGE)


UPSERT_ADOPTER = _upsert("adopter", ADOPTER)
DELETE_ADOPTER = _delete("adopter", "adopter_key")
LIST_ADOPTERS = _list("adopter", "adopters")
UPSERT_STATISTIC = _upsert("statistic", STATISTIC)
DELETE_STATISTIC = _delete("statistic", "statistic_key")
LIST_STATISTICS = _list("statistic", "statistics")
READ_STATISTIC = _op("read_statistic", "One statistic with its hosts (viewer or admin).", _READERS)
UPSERT_TOBIRA = _upsert("tobira", TOBIRA)
DELETE_TOBIRA = _delete("tobira", "statistic_key")
LIST_TOBIRA = _list("Tobira statistic", "tobira")
READ_TOBIRA = _op("read_tobira", "One Tobira statistic (viewer or admin).", _READERS)
READ_ADOPTER = _op("read_adopter", "One adopter by its key (generation A); unknown: 404.", _OPEN)
REPLACE_ADOPTER = _op(
    "replace_adopter",
    "Replace an adopter (generation A: every required field checked, in its order).",
    _OPEN,
    requestBody=body(_ANY),
)
ADOPTER_REPORTS = _op(
    "adopter_statistics_reports",
    "An adopter's statistics reports, newest first.",
    _OPEN,
    parameters=_PAGE,
    ok=json_answer("A list.", {"type": "array", "items": _ANY}),
)
ADOPTER_ERRORS = _op(
    "adopter_error_events",
    "An adopter's error events, newest first.",
    _OPEN,
    parameters=_PAGE,
    ok=json_answer("A list.", {"type": "array", "items": _ANY}),
)
CREATE_REPORT = _op(
    "create_statistics_report",
    "Store a statistics report (generation A).",
    _OPEN,
    requestBody=body(
        obj(from_date=STRING, to_date=STRING, opencast_version=STRING, adopter_key=_KEY)
    ),
)
LIST_REPORTS = _op(
    "list_statistics_reports",
    "Every statistics report, newest first (viewer or admin).",
    _READERS,
    parameters=_PAGE,
    ok=json_answer("A list.", {"type": "array", "items": _ANY}),
)
READ_REPORT = _op("read_statistics_report", "One statistics report (viewer or admin).", _READERS)
CREATE_ERROR = _op(
    "create_error_event",
    "Store an error event (generation A); its timestamp keeps its offset.",
    _OPEN,
    requestBody=body(
        obj(
            timestamp=STRING,
            adopter_key=_KEY,
            error_type=STRING,
            data=STRING,
            opencast_version=STRING,
        )
    ),
)
LIST_ERRORS = _op(
    "list_error_events",
    "Every error event, newest first (viewer or admin).",
    _READERS,
    parameters=_PAGE,
    ok=json_answer("A list.", {"type": "array", "items": _ANY}),
)
READ_ERROR = _op("read_error_event", "One error event (viewer or admin).", _READERS)
PREFLIGHT = {
    "tags": ["opencast"],
    "summary": "CORS preflight: keyed routes answer any origin (never with credentials).",
    "responses": {"204": {"description": "Allowed methods and headers."}},
}
