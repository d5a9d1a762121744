"""The Django "Tracking API" (seed-systems.md section 3, api.md 3.4) on core events.

``POST /api/track/`` stores one core event (source: the OAuth2 client's source) and answers
201 with the event as that API showed it. ``GET /api/events/<namespace>/<name>`` aggregates
events of that namespace and name from every source. Errors use that API's shapes:
``{field: [messages]}`` for invalid fields and ``{"detail": ...}`` for everything else.

Kept from the original: scopes (``write`` to track, ``aggregation`` to aggregate; safe
methods on ``/api/track/`` need ``read`` and then get 405), inclusive UNIX-second bounds,
Monday weeks, ``none`` grouping by exact timestamp, ``aggregatedTimestamp`` = earliest event
in the bucket, key order ``value``, ``aggregatedTimestamp``, and ``avg`` for an absent or
unknown ``aggregationType`` (any string reached that fallback, so any client may rely on it).
Fixed (api.md 3.4): ascending buckets, one bound alone is honoured, bad bounds/granularity
give 400, ``aggregationType`` names match in any case, ``sum`` and ``count`` exist, ``value``
may be any finite number, bounds are UTC (the original used the server's local time zone).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.tracking_api.exact_buckets import FUNCTIONS, GRANULARITIES, exact_buckets
from tidings.core.ingest import Batch, draft, ingest
from tidings.errors import (
    Forbidden,
    Invalid,
    Overloaded,
    RateLimited,
    TidingsError,
    Unauthenticated,
    Unavailable,
)
from tidings.http.body import read_body
from tidings.http.deps import principal, runtime
from tidings.http.json_keys import refuse_duplicate_keys
from tidings.http.problems import status_of
from tidings.model.events import EventDraft, message_id_of
from tidings.model.timeparse import TimestampError, now_us, parse_timestamp, to_datetime

#: The original model's CharField length for name and namespace.
NAME_MAX = 120
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
BAD_TIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
_INTEGER = re.compile(r"^[+-]?\d{1,30}$")
# Bounds far outside storable time, still inside a signed 64-bit microsecond count.
_BOUND_LIMIT = 2**62 // 1_000_000 - 1


class _FieldErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid fields")
        self.errors = errors


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _detail_response(exc: TidingsError) -> Response:
    """A domain error in the original's ``{"detail": ...}`` shape."""
    headers: dict[str, str] = {}
    detail = exc.detail
    if isinstance(exc, Unauthenticated):
        detail = "Authentication credentials were not provided."
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, Forbidden):
        detail = "You do not have permission to perform this action."
    elif isinstance(exc, RateLimited):
        detail = f"Request was throttled. Expected available in {exc.retry_after} seconds."
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Overloaded):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        headers["Retry-After"] = "1"
    return _json({"detail": detail}, status_of(exc), headers)


def iso(us: int) -> str:
    """ISO 8601 UTC with ``Z``; microseconds only when there are any, as the original."""
    moment: datetime = to_datetime(us)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def number_out(value: float) -> float | int:
    """Integral values as integers (``42``, not ``42.0``), like the original's output."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


async def _authorize(request: Request, scope: str) -> None:
    who = await principal(request)
    if not who.has_scope(scope):
        raise Forbidden("missing scope")


# -- POST /api/track/ ------------------------------------------------------------------------
async def _payload(request: Request) -> Any:
    body = await read_body(request, runtime(request).settings.max_body_bytes)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            # strict: bytes or percent-escapes that are not UTF-8 are refused, not replaced.
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise Invalid("Form parse error - the body is not UTF-8 form data.") from None
        # A blank optional field of an HTML form means "not given".
        return {k: v[-1] for k, v in form.items() if v[-1] != "" or k != "timestamp"}
    if media not in ("", "application/json") and not media.endswith("+json"):
        raise _UnsupportedMedia(media)
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON parse error - {exc}") from None
    refuse_duplicate_keys(body, data)
    return data


class _UnsupportedMedia(Exception):
    def __init__(self, media: str) -> None:
        super().__init__(media)
        self.media = media


def _text(data: dict[str, Any], field: str, errors: dict[str, list[str]]) -> str:
    if field not in data:
        errors[field] = [REQUIRED]
        return ""
    value = data[field]
    if value is None:
        errors[field] = [NOT_NULL]
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[field] = ["Not a valid string."]
        return ""
    text = str(value).strip()
    if not text:
        errors[field] = ["This field may not be blank."]
    elif len(text) > NAME_MAX:
        errors[field] = [f"Ensure this field has no more than {NAME_MAX} characters."]
    elif "\x00" in text:
        errors[field] = ["Null characters are not allowed."]
    return text


def _value(data: dict[str, Any], errors: dict[str, list[str]]) -> float:
    if "value" not in data:
        errors["value"] = [REQUIRED]
        return 0.0
    raw = data["value"]
    if raw is None:
        errors["value"] = [NOT_NULL]
        return 0.0
    number = math.nan
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str) and len(raw) <= 100:
        try:
            number = float(raw.strip())
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        errors["value"] = ["A valid number is required."]
        return 0.0
    return number


def _timestamp(data: dict[str, Any], received: int, errors: dict[str, list[str]]) -> int:
    if "timestamp" not in data:
        return received
    raw = data["timestamp"]
    if raw is None:
        errors["timestamp"] = [NOT_NULL]
        return received
    try:
        return parse_timestamp(raw)
    except TimestampError:
        errors["timestamp"] = [BAD_TIME]
        return received


def _draft(data: Any, source_id: int) -> EventDraft:
    if not isinstance(data, dict):
        kind = "null" if data is None else type(data).__name__
        raise _FieldErrors(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    errors: dict[str, list[str]] = {}
    received = now_us()
    name = _text(data, "name", errors)
    namespace = _text(data, "namespace", errors)
    timestamp = _timestamp(data, received, errors)
    value = _value(data, errors)
    if errors:
        raise _FieldErrors(errors)
    return draft(source_id, namespace, name, timestamp, received_at=received, value=value)


async def track(request: Request) -> Response:
    """``POST /api/track/``: store one event; other methods get 405 after the scope check."""
    safe = request.method in SAFE_METHODS
    try:
        who = await principal(request)
        if not who.has_scope("read" if safe else "write"):
            raise Forbidden("missing scope")
        if request.method != "POST":
            detail = f'Method "{request.method}" not allowed.'
            return _json({"detail": detail}, 405, {"Allow": "POST, OPTIONS"})
        if who.kind != "client" or who.source_id is None:
            raise Forbidden("only OAuth2 clients own a source to track into")
        data = await _payload(request)
        draft = _draft(data, who.source_id)
        [result] = await ingest(runtime(request).writer, Batch([draft]))
    except _FieldErrors as exc:
        return _json(exc.errors, 400)
    except _UnsupportedMedia as exc:
        return _json({"detail": f'Unsupported media type "{exc.media}" in request.'}, 415)
    except TidingsError as exc:
        return _detail_response(exc)
    event = {
        "id": message_id_of(draft, result.id),
        "name": draft.name,
        "namespace": draft.namespace,
        "timestamp": iso(draft.timestamp),
        "value": number_out(draft.value),
    }
    return _json(event, 201)


# -- GET /api/events/<namespace>/<name> ------------------------------------------------------
def _bound(params: Any, key: str) -> int | None:
    raw = params.get(key)
    if raw is None:
        return None
    text = raw.strip()
    if not _INTEGER.match(text):
        raise Invalid(f"{key} must be an integer number of UNIX seconds, got {raw!r}.")
    return max(-_BOUND_LIMIT, min(_BOUND_LIMIT, int(text)))


def _choice(params: Any, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = params.get(key, default)
    if value not in allowed:
        raise Invalid(f"{key} must be one of {', '.join(allowed)}; got {value!r}.")
    return str(value)


def aggregation_type(raw: str | None) -> str:
    """The function asked for: a known name in any case, else ``avg`` as the original did.

    The original fell back to the average for every value it did not know (``AVG``, ``mean``,
    an empty value...), so a client may rely on that for any string; none is refused.
    """
    name = (raw or "").lower()
    # ASCII only: Unicode case folding must not turn a look-alike into a function name.
    return name if name.isascii() and name in FUNCTIONS else "avg"


async def aggregate_events(request: Request) -> Response:
    """Buckets of one namespace/name, each ``{"value", "aggregatedTimestamp"}``, ascending."""
    try:
        await _authorize(request, "aggregation")
        params = request.query_params
        ts_min = _bound(params, "tsMin")
        ts_max = _bound(params, "tsMax")
        granularity = _choice(params, "granularity", "none", GRANULARITIES)
        fn = aggregation_type(params.get("aggregationType"))
        buckets = await run_in_threadpool(
            exact_buckets,
            runtime(request).storage,
            request.path_params["namespace"],
            request.path_params["name"],
            granularity,
            None if ts_min is None else ts_min * 1_000_000,
            # Inclusive, as the original's ``lte``: an event at exactly tsMax counts.
            None if ts_max is None else ts_max * 1_000_000 + 1,
        )
    except TidingsError as exc:
        return _detail_response(exc)
    answer = []
    for bucket in buckets:
        value = bucket.value(fn)
        answer.append(
            {
                # avg is a float even when whole (6.0), as the original's Avg().
                "value": float(value) if fn == "avg" else number_out(float(value)),
                "aggregatedTimestamp": iso(bucket.earliest),
            }
        )
    return _json(answer)
