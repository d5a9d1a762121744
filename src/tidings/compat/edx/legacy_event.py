"""Legacy edX browser endpoint ``GET|POST /event`` (``event_type``, ``event``, ``page``).

Browsers post form fields (or a query string, or JSON); the answer is the text ``success``.
Like native ingest it needs a source write key, also accepted as ``?writeKey=`` for pages
that cannot set headers. ``event`` is a JSON string that is decoded when it can be (and
kept as text otherwise). The core event: namespace = source name, name = ``event_type``,
properties ``{"event", "page", "event_source": "browser"}``, context the request's agent,
host, referer and language. Errors answer plain text with the status (400, 401, 413, 503).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tidings.core.ingest import Batch, draft, ingest
from tidings.errors import Invalid, TidingsError, TooLarge
from tidings.http.body import read_body
from tidings.http.deps import runtime, source_for, write_key
from tidings.http.json_keys import refuse_duplicate_keys
from tidings.http.problems import error_headers, status_of
from tidings.model.events import NAME_MAX, EventDraft


async def _fields(request: Request, limit: int) -> dict[str, Any]:
    fields: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return fields
    body = await read_body(request, limit)
    if not body:
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Invalid.field("body", f"is not valid JSON: {exc}") from None
        refuse_duplicate_keys(body, data)
        if not isinstance(data, dict):
            raise Invalid.field("body", "must be a JSON object")
        fields.update(data)
        return fields
    try:
        # strict: a percent-escape that is not UTF-8 is refused, not stored as U+FFFD.
        fields.update(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise Invalid.field("body", "must be UTF-8 form data") from None
    return fields


def _decoded(event: Any) -> Any:
    if not isinstance(event, str):
        return event
    try:
        return orjson.loads(event)
    except orjson.JSONDecodeError:
        return event


def _draft(request: Request, fields: dict[str, Any], source_id: int, namespace: str) -> EventDraft:
    event_type = fields.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise Invalid.field("event_type", "is required")
    if len(event_type) > NAME_MAX or "\x00" in event_type:
        raise Invalid.field("event_type", f"must be 1 to {NAME_MAX} characters, without NUL")
    page = fields.get("page")
    properties = {"event": _decoded(fields.get("event")), "page": page, "event_source": "browser"}
    headers = request.headers
    context = {
        key: headers[header]
        for key, header in (
            ("agent", "user-agent"),
            ("host", "host"),
            ("referer", "referer"),
            ("accept_language", "accept-language"),
        )
        if header in headers
    }
    properties_json = orjson.dumps(properties).decode()
    context_json = orjson.dumps(context).decode() if context else None
    if "\\u0000" in properties_json:
        field = "page" if "\\u0000" in orjson.dumps(page).decode() else "event"
        raise Invalid.field(field, "must not contain NUL characters")
    return draft(source_id, namespace, event_type, properties=properties_json, context=context_json)


async def user_track(request: Request) -> Response:
    """Store one browser event; answer ``success``."""
    rt = runtime(request)
    settings = rt.settings
    try:
        fields = await _fields(request, settings.max_event_bytes)
        key = write_key(request, fields) or request.query_params.get("writeKey")
        source = await source_for(request, key)
        draft = _draft(request, fields, source.id, source.name)
        if len(draft.properties or "") > settings.max_event_bytes:
            raise TooLarge(f"the event is over the limit of {settings.max_event_bytes} bytes")
        await ingest(rt.writer, Batch([draft]))
    except TidingsError as exc:
        return PlainTextResponse(exc.detail, status_code=status_of(exc), headers=error_headers(exc))
    return PlainTextResponse("success")
