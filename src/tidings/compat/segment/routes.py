"""Segment tracking API: ``POST /v1/{batch,import,track,identify,page,screen,group,alias}``.

Real Segment-style SDKs point here unchanged. Success is exactly HTTP 200
``{"success": true}``: the Python SDKs treat any other 2xx as a failure and send again.
Errors are ``{"code": ..., "message": ...}``; ``messageId`` makes every retry safe (the
database keeps one event per source and message id, across restarts).

A batch (``/v1/batch``, ``/v1/import``) stores its valid messages and drops the invalid ones,
still answering ``{"success": true}``: the SDKs drop a whole batch on a 400, so refusing it
would lose the good messages with the bad. Each dropped message is counted in ``/metrics``
(``tidings_messages_dropped``) and logged with its reason. A single call (``/v1/track``
etc.) is still refused with 400.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.segment.messages import Dropped, Translated, storable, translate_all
from tidings.core.ingest import Batch, ingest
from tidings.errors import Invalid, TidingsError
from tidings.http.body import parse_json_tolerant, read_body
from tidings.http.deps import Runtime, runtime, source_for, write_key
from tidings.http.hotpath import Handler
from tidings.http.problems import error_headers, status_of
from tidings.http.responses import JSONBody
from tidings.model.timeparse import TimestampError, now_us, parse_timestamp
from tidings.storage import persons

#: Segment's own limits: a batch request up to 512 KiB, one call (or message) up to 32 KiB.
BATCH_MAX_BYTES = 512 * 1024
SINGLE_KINDS = ("track", "identify", "page", "screen", "group", "alias")
_OK = orjson.dumps({"success": True})
JSON = "application/json"
log = logging.getLogger("tidings.segment")


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
        # The batch's own field: a bad one is the request's fault, not a message's.
        try:
            parse_timestamp(data["sentAt"])
        except TimestampError as exc:
            raise Invalid.field("sentAt", str(exc)) from None
        defaults["sentAt"] = data["sentAt"]
    if data.get("context") is not None:
        if not isinstance(data["context"], dict):
            raise Invalid.field("context", "must be a JSON object")
        # Shared by every message: a bad one would drop them all, so refuse the request.
        for problem in storable(data["context"], "context"):
            raise Invalid.field(problem.field, problem.message)
        defaults["context"] = data["context"]
    return batch, defaults


async def _attribute(rt: Runtime, translated: Translated) -> None:
    """Give anonymous events the user id their anonymous id is linked to, by earlier
    requests or by an identify or alias earlier in this one."""
    drafts = translated.drafts
    anonymous = {d.anonymous_id for d in drafts if d.user_id is None and d.anonymous_id}
    stored: dict[str, str] = {}
    if anonymous:
        stored = await run_in_threadpool(persons.resolve_aliases, rt.storage.engine, anonymous)
    translated.attribute(stored)


def _count_dropped(rt: Runtime, dropped: list[Dropped]) -> None:
    """Count and log each message a batch left out (the rest of the batch is stored)."""
    for bad in dropped:
        first = bad.errors[0]
        # The field without the message's index: a label with few values.
        field = first.field.removeprefix(f"batch.{bad.index}.")
        rt.metrics.messages_dropped.labels(field).inc()
        # The reason only: the message itself may hold personal data.
        log.warning(
            "segment batch: message %d dropped: %s %s", bad.index, first.field, first.message
        )


async def _handle(request: Request, kind: str | None) -> Response:
    rt = runtime(request)
    settings = rt.settings
    received = now_us()
    # An operator's smaller body limit wins over Segment's own.
    limit = min(
        BATCH_MAX_BYTES if kind is None else settings.max_event_bytes, settings.max_body_bytes
    )
    body = await read_body(request, limit)
    # Python's json module writes NaN and Infinity: null inside these, not a lost batch.
    data = await parse_json_tolerant(
        body, non_finite_inside=("properties", "traits", "context"), lists=("batch",)
    )
    source = await source_for(request, write_key(request, data))
    if kind is None:
        messages, defaults = _batch_messages(data)
        prefix = "batch."
    else:
        messages, defaults, prefix = [data], {}, ""
    translated = translate_all(
        messages,
        drop_bad=kind is None,
        kind=kind,
        source_id=source.id,
        source_name=source.name,
        received=received,
        max_event_bytes=settings.max_event_bytes,
        prefix=prefix,
        defaults=defaults,
    )
    _count_dropped(rt, translated.dropped)
    if not translated.messages:
        return JSONBody(_OK)  # every message was dropped: nothing to commit
    await _attribute(rt, translated)
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
