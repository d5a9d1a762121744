"""Microticks compat API (the 2017 Flask service; seed-systems.md 4, api.md 3.5).

``POST /sessions``, ``/sessions/stop`` and ``/events`` read form fields (JSON bodies too) and
answer the original bodies: ``{"status": <code>, ...}`` with sorted keys, field problems as
``{"error": ...}``, token problems as ``{"description": ...}``, both with HTTP 400 as the
browser client expects. ``GET /events`` and ``GET /sessions`` keep the original filters and
shapes, with the fixes of api.md 3.5: a missing or wrong key is a real 401, ``sort`` takes
only known columns, sessions without clicks are listed, bad parameters are a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.compat.microticks import sessions as microticks
from tidings.compat.microticks.queries import ListQuery
from tidings.core.auth import same
from tidings.errors import Conflict, Forbidden, Invalid, NotFound, TidingsError, Unauthenticated
from tidings.http.body import parse_json, read_body
from tidings.http.deps import (
    limit_anonymous,
    limit_credential,
    require_reader,
    runtime,
    token_principal,
)
from tidings.http.problems import error_headers, status_of
from tidings.model.timeparse import to_iso
from tidings.storage.base import Storage

T = TypeVar("T")

# The original answered every route with these, and allowed any origin: its browser client
# is embedded in other sites' pages, and its readers pass ``?key=``. Credentials are never
# allowed cross-origin, so no page can read with a visitor's cookies or Basic login.
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After",
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}
_PREFLIGHT = {
    **_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}
_MAX_FIELDS = 100
NO_KEY = 'Please specify an API key using the "key" query string parameter.'
WRONG_KEY = "The key does not seem to be the right one."


def _answer(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps({**body, "status": status}, option=orjson.OPT_SORT_KEYS),
        status_code=status,
        media_type="application/json",
        headers={**_HEADERS, **(headers or {})},
    )


def _error(exc: TidingsError) -> Response:
    """The original's error bodies. Token problems used ``description``, fields ``error``;
    both were HTTP 400, and the browser client only looks at the body. Other errors keep
    the status and headers the native API gives them (401, 403, 413, 429, 503)."""
    if isinstance(exc, NotFound | Conflict):
        return _answer({"description": exc.detail}, 400)
    status = status_of(exc)
    key = "description" if status in (401, 403) else "error"
    return _answer({key: exc.detail}, status, error_headers(exc))


async def _fields(request: Request) -> dict[str, Any]:
    """The posted fields: a JSON object, or form data (first value of each name wins)."""
    body = await read_body(request, runtime(request).settings.max_body_bytes)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        data = parse_json(body)
        if not isinstance(data, dict):
            raise Invalid.field("body", "must be a JSON object")
        return data
    if media.startswith("multipart/"):
        raise Invalid.field("body", "send application/x-www-form-urlencoded or JSON")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_FIELDS,
            # strict: a percent-escape that is not UTF-8 is refused, not stored as U+FFFD.
            errors="strict",
        )
    except UnicodeDecodeError:
        raise Invalid.field("body", "form data must be UTF-8") from None
    except ValueError:
        raise Invalid.field("body", f"has more than {_MAX_FIELDS} fields") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


async def _rejected(request: Request, exc: TidingsError) -> Response:
    """The error answer; an unknown consumer key or session token also counts against the
    caller's address (guessing them is the only way in), which may turn it into a 429."""
    guessed = isinstance(exc, NotFound) or (
        isinstance(exc, Invalid) and exc.detail == "Invalid consumer_key"
    )
    if guessed:
        try:
            await limit_anonymous(request)
        except TidingsError as limited:
            return _error(limited)
    return _error(exc)


def _ip(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


async def create_session(request: Request) -> Response:
    """``POST /sessions``: ``consumer_key``, ``ts`` -> ``{"token": ...}``."""
    try:
        fields = await _fields(request)
        token = await microticks.start_session(runtime(request).storage, fields, _ip(request))
    except TidingsError as exc:
        return await _rejected(request, exc)
    return _answer({"token": token})


async def stop_session(request: Request) -> Response:
    """``POST /sessions/stop``: ``ts``, ``token``."""
    try:
        fields = await _fields(request)
        await microticks.stop_session(runtime(request).storage, fields)
    except TidingsError as exc:
        return await _rejected(request, exc)
    return _answer({})


async def create_event(request: Request) -> Response:
    """``POST /events``: ``token``, ``action``, ``data``, ``ts`` -> ``{"event_id": ...}``,
    answered after the commit."""
    rt = runtime(request)
    try:
        fields = await _fields(request)
        event_id = await microticks.record_event(
            rt.storage, rt.writer, fields, rt.settings.max_event_bytes
        )
    except TidingsError as exc:
        rt.metrics.ingest_rejected.labels(exc.code).inc()
        return await _rejected(request, exc)
    return _answer({"event_id": event_id})


async def _authorize(request: Request) -> None:
    """``?key=``: TIDINGS_MICROTICKS_KEY or an API/OAuth2 token that may read; or a reader's
    own credentials in ``Authorization`` (Basic or Bearer). Failures count against the
    caller's address like any failed login, which slows key guessing.

    Raises:
        Unauthenticated: no credential, or a wrong one. Forbidden: it may not read.
        RateLimited: over a rate limit.
    """
    key = request.query_params.get("key")
    if key:
        expected = runtime(request).settings.microticks_key
        if expected and same(key, expected):
            await limit_credential(request, "microticks-key")
            return
        who = await token_principal(request, key)
        if who is None:
            await limit_anonymous(request)
            raise Unauthenticated(WRONG_KEY, scheme="Bearer")
        if not who.has_scope("read"):
            raise Forbidden("This credential needs the scope 'read'.")
        await limit_credential(request, who.credential)
        return
    if "authorization" in request.headers:
        await require_reader(request)
        return
    await limit_anonymous(request)
    raise Unauthenticated(NO_KEY, scheme="Bearer")


def _iso(us: int | None) -> str | None:
    """ISO 8601 UTC; milliseconds when that is exact, as the browser client's
    ``toISOString()`` sent them (so a stored time reads back as it was sent)."""
    if us is None:
        return None
    text = to_iso(us)
    return text[:-4] + "Z" if us % 1000 == 0 else text


async def _listed(
    request: Request, listing: Callable[[Storage, ListQuery], T], *, sessions: bool
) -> T:
    """One page of ``listing`` for an authorized reader, with the request's filters."""
    await _authorize(request)
    query = microticks.parse_list_query(request.query_params, sessions=sessions)
    return await run_in_threadpool(listing, runtime(request).storage, query)


async def list_events(request: Request) -> Response:
    """``GET /events``: ``{"count", "events": [{"action", "data", "id", "session_id",
    "time"}]}``."""
    try:
        rows = await _listed(request, microticks.list_events, sessions=False)
    except TidingsError as exc:
        return _error(exc)
    items = [
        {
            "action": row.action,
            "data": microticks.event_data(row.properties, row.context),
            "id": row.id,
            "session_id": row.session_id,
            "time": _iso(row.time),
        }
        for row in rows
    ]
    return _answer({"count": len(items), "events": items})


async def list_sessions(request: Request) -> Response:
    """``GET /sessions``: ``{"count", "sessions": [{"clicks", "consumer_id", "id",
    "last_action", "started_at", "stopped_at"}]}``."""
    try:
        found = await _listed(request, microticks.list_sessions, sessions=True)
    except TidingsError as exc:
        return _error(exc)
    items = [
        {
            "clicks": s.row.clicks,
            "consumer_id": s.row.consumer_id,
            "id": s.row.id,
            "last_action": _iso(s.row.last_action),
            "started_at": _iso(s.row.started_at),
            "stopped_at": _iso(s.row.stopped_at),
        }
        for s in found
    ]
    return _answer({"count": len(items), "sessions": items})


async def preflight(request: Request) -> Response:
    """CORS preflight for JSON posts and keyed reads from other origins."""
    return Response(status_code=204, headers=_PREFLIGHT)


async def dash(request: Request) -> Response:
    """The original's dashboard page; Tidings' own dashboard replaces it."""
    return RedirectResponse("/", status_code=302)
