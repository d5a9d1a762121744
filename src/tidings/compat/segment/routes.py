"""Segment tracking API: ``POST /v1/{batch,import,track,identify,page,screen,group,alias}``.

Real Segment-style SDKs point here unchanged. Success is exactly HTTP 200
``{"success": true}``: the Python SDKs treat any other 2xx as a failure and send again.
Errors are ``{"code": ..., "message": ...}``; ``messageId`` makes every retry safe (the
database keeps one event per source and message id, across restarts).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.segment.messages import translate_all
from tidings.core.ingest import Batch, ingest
from tidings.errors import Invalid, TidingsError
from tidings.http.body import parse_json, read_body
from tidings.http.deps import Runtime, runtime, source_for, write_key
from tidings.http.hotpath import Handler
from tidings.http.problems import error_headers, status_of
from tidings.http.responses import JSONBody
from tidings.model.events import EventDraft
from tidings.model.timeparse import now_us
from tidings.storage import persons

#: Segment's own limits: a batch request up to 512 KiB, one call (or message) up to 32 KiB.
BATCH_MAX_BYTES = 512 * 1024
SINGLE_KINDS = ("track", "identify", "page", "screen", "group", "alias")
_OK = orjson.dumps({"success": True})
JSON = "application/json"


def segment_error(exc: TidingsError) -> Response:
    """The Segment error shape for a Tidings error, with the same status and headers."""
    return Response(
        orjson.dumps({"code": exc.code, "message": exc.detail}),
        status_code=status_of(exc),
        media_type=JSON,
        headers=error_headers(exc),
    )


def _batch_messages(data: Any) -> tuple[list[Any], dict[str, Any]]:
    """The messages of a batch body and the defaults they share (``context``, ``sentAt``)."""
    if not isinstance(data, dict):
        raise Invalid.field("body", "must be a JSON object with a 'batch' list")
    batch = data.get("batch")
    if not isinstance(batch, list):
        raise Invalid.field("batch", "is required and must be a list of messages")
    if not batch:
        raise Invalid.field("batch", "must not be empty")
    defaults: dict[str, Any] = {}
    if data.get("sentAt") is not None:
        defaults["sentAt"] = data["sentAt"]
    if data.get("context") is not None:
        if not isinstance(data["context"], dict):
            raise Invalid.field("context", "must be a JSON object")
        defaults["context"] = data["context"]
    return batch, defaults


async def _attribute(rt: Runtime, drafts: list[EventDraft]) -> None:
    """Give anonymous events the user id their anonymous id is linked to (identify/alias)."""
    anonymous = {d.anonymous_id for d in drafts if d.user_id is None and d.anonymous_id}
    if not anonymous:
        return
    links = await run_in_threadpool(persons.resolve_aliases, rt.storage.engine, anonymous)
    for draft in drafts:
        if draft.user_id is None and draft.anonymous_id in links:
            draft.user_id = links[draft.anonymous_id]


async def _handle(request: Request, kind: str | None) -> Response:
    rt = runtime(request)
    settings = rt.settings
    received = now_us()
    # An operator's smaller body limit wins over Segment's own.
    limit = min(
        BATCH_MAX_BYTES if kind is None else settings.max_event_bytes, settings.max_body_bytes
    )
    body = await read_body(request, limit)
    data = parse_json(body)
    source = await source_for(request, write_key(request, data))
    if kind is None:
        messages, defaults = _batch_messages(data)
        prefix = "batch."
    else:
        messages, defaults, prefix = [data], {}, ""
    translated = translate_all(
        messages,
        kind=kind,
        source_id=source.id,
        source_name=source.name,
        received=received,
        max_event_bytes=settings.max_event_bytes,
        prefix=prefix,
        defaults=defaults,
    )
    await _attribute(rt, translated.drafts)
    # The person updates commit with the events or not at all (PersonUpdate.apply).
    await ingest(rt.writer, Batch(translated.drafts, translated.updates))
    return JSONBody(_OK)


def _endpoint(kind: str | None) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await _handle(request, kind)
        except TidingsError as exc:
            runtime(request).metrics.ingest_rejected.labels(exc.code).inc()
            return segment_error(exc)

    endpoint.__name__ = f"segment_{kind or 'batch'}"
    endpoint.__doc__ = f"Segment ``{kind or 'batch'}`` call."
    return endpoint


batch = _endpoint(None)
track = _endpoint("track")
identify = _endpoint("identify")
page = _endpoint("page")
screen = _endpoint("screen")
group = _endpoint("group")
alias = _endpoint("alias")

#: Path -> handler, for the URL map. ``/v1/import`` is Segment's bulk batch endpoint.
ENDPOINTS = {
    "/v1/batch": batch,
    "/v1/import": batch,
    "/v1/track": track,
    "/v1/identify": identify,
    "/v1/page": page,
    "/v1/screen": screen,
    "/v1/group": group,
    "/v1/alias": alias,
}
