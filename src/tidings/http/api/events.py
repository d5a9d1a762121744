"""Native ingest and listing: ``POST /api/v1/events`` and ``GET /api/v1/events``.

Ingest is the hot path: decode with orjson, validate once, queue, await the commit. No
per-request ORM objects and no middleware that buffers bodies.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator

import orjson
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tidings.core.ingest import Batch, ingest
from tidings.core.query import event_dict, iter_all, page
from tidings.core.unknown import unknown
from tidings.errors import FieldError, Invalid, TidingsError
from tidings.http.api.params import event_filter, int_param
from tidings.http.body import parse_json_tolerant, read_body
from tidings.http.browser import browser_events, mark_browser_events
from tidings.http.deps import require_reader, runtime, source_for, write_key
from tidings.http.responses import JSONBody
from tidings.model.events import EventDraft, validate_event, validate_events
from tidings.model.ids import decode_cursor, encode_cursor
from tidings.model.timeparse import FUTURE_SLACK_US, PLAUSIBLE_MIN_US, implausible, now_us
from tidings.model.wire import EVENT_FIELDS

JSON = "application/json"
_BATCH_KEYS = frozenset(("events", "writeKey"))
_WRITE_KEY = frozenset(("writeKey",))
CSV_COLUMNS = EVENT_FIELDS


def _drafts(data: object, source_id: int, max_batch: int, max_event_bytes: int) -> list[EventDraft]:
    drafts = _validated(data, source_id, max_batch, max_event_bytes)
    _refuse_implausible_times(drafts, batch=isinstance(data, dict) and "events" in data)
    return drafts


def _refuse_implausible_times(drafts: list[EventDraft], *, batch: bool) -> None:
    """A time before 2000 or more than a day ahead is a client's broken clock or unit: 400
    naming each such event's field, the batch refused whole like any other invalid event."""
    errors = []
    for i, event in enumerate(drafts):
        # Cheap first: almost every event lies well inside the window.
        if PLAUSIBLE_MIN_US <= event.timestamp <= event.received_at + FUTURE_SLACK_US:
            continue
        why = implausible(event.timestamp, event.received_at)
        if why is not None:
            errors.append(FieldError(f"events.{i}.timestamp" if batch else "timestamp", why))
    if errors:
        raise Invalid(f"{errors[0].field} {errors[0].message}", errors)


def _validated(
    data: object, source_id: int, max_batch: int, max_event_bytes: int
) -> list[EventDraft]:
    received = now_us()
    if isinstance(data, dict) and "events" in data:
        events = data["events"]
        unknown = [key for key in data if key not in _BATCH_KEYS]
        if unknown:
            raise Invalid.field(unknown[0], "is not allowed beside 'events'")
        if not isinstance(events, list):
            raise Invalid.field("events", "must be a list of event objects")
        if not events:
            raise Invalid.field("events", "must not be empty")
        if len(events) > max_batch:
            raise Invalid.field("events", f"has {len(events)} events; the limit is {max_batch}")
        return validate_events(
            events, source_id=source_id, received_at=received, max_event_bytes=max_event_bytes
        )
    draft, errors = validate_event(
        data,
        source_id=source_id,
        received_at=received,
        max_event_bytes=max_event_bytes,
        extra_fields=_WRITE_KEY,
    )
    if draft is None:
        first = errors[0]
        raise Invalid(f"{first.field} {first.message}", errors)
    return [draft]


async def create_events(request: Request) -> Response:
    """Store one event or a batch; answer only after the commit."""
    rt = runtime(request)
    settings = rt.settings
    try:
        body = await read_body(request, settings.max_body_bytes)
        # NaN and Infinity (Python's json writes them) are null inside these; a non-finite
        # value stays a 400.
        data = await parse_json_tolerant(
            body, non_finite_inside=("properties", "context"), lists=("events",)
        )
        source = await source_for(request, write_key(request, data))
        browser = browser_events(data)
        if browser:
            await mark_browser_events(request, source.id, browser, now_us())
        drafts = _drafts(data, source.id, settings.max_batch_events, settings.max_event_bytes)
        results = await ingest(rt.writer, Batch(drafts))
    except TidingsError as exc:
        rt.metrics.ingest_rejected.labels(exc.code).inc()
        raise
    duplicates = sum(1 for r in results if r.duplicate)
    answer = {
        "accepted": len(results) - duplicates,
        "duplicates": duplicates,
        "ids": [r.id for r in results],
    }
    return JSONBody(orjson.dumps(answer))


def _csv_rows(rows: Iterator[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            orjson.dumps(row[c]).decode() if c in ("properties", "context") else row[c]
            for c in CSV_COLUMNS
        )
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def _stream(lines: Iterator[bytes | str]) -> AsyncIterator[bytes | str]:
    async for line in iterate_in_threadpool(lines):
        yield line


async def list_events(request: Request) -> Response:
    """A page of events (``format=json``) or a streamed export (``ndjson``, ``csv``)."""
    await require_reader(request)
    rt = runtime(request)
    params = request.query_params
    flt = event_filter(params)
    fmt = params.get("format", "json")
    after_raw = params.get("after")
    try:
        after = decode_cursor(after_raw) if after_raw else 0
    except ValueError as exc:
        raise Invalid.field("after", str(exc)) from None
    if fmt == "json":
        limit = int_param(params, "limit", 100, 1, 10_000)
        events, cursor = await run_in_threadpool(page, rt.storage, flt, after, limit)
        answer: dict[str, object] = {
            "events": [event_dict(e) for e in events],
            "next": encode_cursor(cursor) if cursor is not None else None,
        }
        never_seen = await run_in_threadpool(unknown, rt.storage, flt)
        if never_seen:
            answer["unknown"] = never_seen
        return Response(orjson.dumps(answer), media_type=JSON)
    rows = (event_dict(e) for e in iter_all(rt.storage, flt, after))
    if fmt == "ndjson":
        lines = (orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)
        return StreamingResponse(_stream(lines), media_type="application/x-ndjson")
    if fmt == "csv":
        return StreamingResponse(
            _stream(_csv_rows(rows)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="events.csv"'},
        )
    raise Invalid.field("format", "must be json, ndjson or csv")
