"""edX Segment webhook: ``POST /segmentio/event?key=SECRET`` (the 2014 contract).

Checks run in the original's order and answer its ``{"committed": bool, "message": ...}``
bodies: secret (401), channel and action allow-lists (200, ignored; both compared
case-insensitively), user id (400), timestamps (400), ``properties.event_type`` (400), then
the event is committed (200). Fixes: timestamps in any ISO 8601 form are parsed (the original
raised a 500 on anything but one format), and the secret is compared in constant time and
never logged. Any user id that parses as an integer is accepted (the platform's users are
not Tidings' users); the username comes from identify data when Tidings has it.
``segmentio_require_known_users`` restores the "user exists" check against the person table
(users Tidings has seen through identify).

The stored event is the original's legacy event in the core model (segment_legacy.py):
source and namespace ``edx``, user id = ``userId``, the legacy top-level fields as properties
and the legacy context as context. The core name, which the original did not have, is
``properties.event_type``, else the Segment ``event`` or screen ``name``, else ``unknown``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.edx import segment_legacy
from tidings.core.auth import same
from tidings.core.ingest import Batch, draft, ingest
from tidings.errors import Invalid, TidingsError
from tidings.http.body import read_body
from tidings.http.deps import Runtime, limit_anonymous, runtime
from tidings.http.json_keys import refuse_duplicate_keys
from tidings.http.problems import error_headers, status_of
from tidings.model.events import ID_MAX, EventDraft
from tidings.model.timeparse import TimestampError, parse_timestamp, to_iso
from tidings.storage import persons
from tidings.storage.named_sources import source_named

SOURCE = "edx"
NAMESPACE = "edx"


def _answer(status: int, committed: bool, message: str | None = None) -> Response:
    body: dict[str, Any] = {"committed": committed}
    if message is not None:
        body["message"] = message
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _split(setting: str) -> list[str]:
    return [item.strip() for item in setting.split(",") if item.strip()]


def _user_id(event: dict[str, Any]) -> int:
    raw = event.get("userId")
    if not raw:
        # Like the original: 0, false and empty values count as no user id at all.
        raise _Reject(400, "Required user_id missing from context")
    if isinstance(raw, bool):
        raise _Reject(400, "Unable to parse userId as an integer")
    if isinstance(raw, int):
        return raw
    # No longer than an id may be: that also keeps int() under Python's 4300-digit limit.
    if isinstance(raw, str) and len(raw) <= ID_MAX and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        return int(raw)
    raise _Reject(400, "Unable to parse userId as an integer")


def _time(event: dict[str, Any], key: str, missing: str) -> int:
    raw = event.get(key)
    if raw is None or raw == "":
        raise _Reject(400, missing)
    try:
        return parse_timestamp(raw)
    except TimestampError as exc:
        raise _Reject(400, f"Unable to parse {key}: {exc}") from None


def _allowed(value: object, allowed: list[str]) -> bool:
    """The original's allow-list test: both sides lower-cased."""
    return isinstance(value, str) and value.lower() in {item.lower() for item in allowed}


def _check_gates(event: dict[str, Any], channels: list[str], actions: list[str]) -> None:
    if not _allowed(event.get("channel"), channels):
        raise _Reject(200, "Channel ignored")
    if not _allowed(event.get("action"), actions):
        raise _Reject(200, "Action ignored")


def _draft(request: Request, event: dict[str, Any], user_id: int, username: str) -> EventDraft:
    """The event, with ``source_id`` 0 until the caller sets it."""
    timestamp = _time(event, "timestamp", "Required timestamp field not found")
    received_at = _time(event, "receivedAt", "Required receivedAt field not found")
    properties = event.get("properties")
    if not isinstance(properties, dict) or "event_type" not in properties:
        raise _Reject(400, "The event_type field must be specified in the properties dictionary")
    name = segment_legacy.core_name(event)
    seen = segment_legacy.Request(request.url.path, request.headers.get("host", ""))
    legacy = segment_legacy.top_level(event, username, seen)
    context = segment_legacy.context(event, event["userId"], to_iso(received_at), seen)
    message_id = event.get("messageId")
    client_id = message_id is not None and message_id != ""
    if client_id and (
        not isinstance(message_id, str) or len(message_id) > ID_MAX or "\x00" in message_id
    ):
        # Dropping it would silently lose the retry safety the client asked for.
        raise _Reject(400, f"messageId must be a string of 1 to {ID_MAX} characters without NUL")
    try:
        properties_json = orjson.dumps(legacy).decode()
        context_json = orjson.dumps(context).decode()
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise _Reject(400, f"The event cannot be stored as JSON ({exc})") from None
    if "\\u0000" in properties_json or "\\u0000" in context_json:
        where = next(
            (
                wire
                for field, wire in segment_legacy.WIRE_NAMES.items()
                if b"\\u0000" in orjson.dumps(legacy[field])
            ),
            "context or properties.context",
        )
        raise _Reject(400, f"{where} must not contain NUL characters")
    return draft(
        0,
        NAMESPACE,
        name,
        timestamp,
        properties=properties_json,
        context=context_json,
        message_id=message_id if client_id and isinstance(message_id, str) else None,
        user_id=str(user_id),
    )


async def _username(rt: Runtime, user_id: int) -> str:
    """The username identify data gives the user, else empty. The platform's users reach
    Tidings only through this webhook, so an unknown user is still accepted unless
    ``segmentio_require_known_users`` asks for the original's "user exists" check."""
    person = await run_in_threadpool(persons.get_person, rt.storage.engine, str(user_id))
    if person is None:
        if rt.settings.segmentio_require_known_users:
            raise _Reject(400, "Specified user does not exist")
        return ""
    username = person.traits.get("username")
    return username if isinstance(username, str) else ""


async def _track(request: Request) -> Response:
    rt = runtime(request)
    settings = rt.settings
    secret = settings.segmentio_webhook_secret
    key = request.query_params.get("key", "")
    if not secret or not same(key, secret):
        # Wrong keys count against the caller's address, which slows guessing (429).
        await limit_anonymous(request)
        response = _answer(401, False, "Unauthorized")
        # The secret travels as ?key=; the header still says "who are you?" (RFC 9110).
        response.headers["WWW-Authenticate"] = 'Key realm="segmentio", param="key"'
        return response
    body = await read_body(request, settings.max_body_bytes)
    try:
        event = orjson.loads(body)
        refuse_duplicate_keys(body, event)
    except orjson.JSONDecodeError as exc:
        return _answer(400, False, f"The body is not valid JSON: {exc}")
    except Invalid as exc:
        return _answer(400, False, exc.detail)
    if not isinstance(event, dict):
        return _answer(400, False, "The body must be a JSON object")
    try:
        _check_gates(
            event,
            _split(settings.segmentio_allowed_channels),
            _split(settings.segmentio_allowed_actions),
        )
        user_id = _user_id(event)
        username = await _username(rt, user_id)
        draft = _draft(request, event, user_id, username)
    except _Reject as reject:
        return _answer(reject.status, False, reject.message)
    # Only now: the first event creates the "edx" source, and a refused one stores nothing.
    source = await run_in_threadpool(source_named, rt.storage.engine, SOURCE)
    draft.source_id = source.id
    await ingest(rt.writer, Batch([draft]))
    return _answer(200, True)


async def segmentio_event(request: Request) -> Response:
    """Receive one Segment webhook event for edX."""
    try:
        return await _track(request)
    except TidingsError as exc:
        response = _answer(status_of(exc), False, exc.detail)
        response.headers.update(error_headers(exc))
        return response
