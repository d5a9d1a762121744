"""Turning one ``track`` call into the JSON of one native-API event, checked locally.

Checks mirror the server's, so a bad event fails in the caller (with the field named)
instead of getting a whole batch rejected later.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

NAME_MAX = 200
ID_MAX = 255
OBJECT_MAX_BYTES = 32 * 1024


def _default(o: Any) -> Any:
    if isinstance(o, datetime):
        o = o.replace(tzinfo=UTC) if o.utcoffset() is None else o.astimezone(UTC)
        return o.isoformat()
    if isinstance(o, date):
        return o.isoformat()
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, uuid.UUID):
        return str(o)
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON; datetimes as ISO UTC. Raises ValueError/TypeError on bad data."""
    text = json.dumps(
        obj, default=_default, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate, which cannot be stored") from None


def _name(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= NAME_MAX:
        raise ValueError(f"{field} must be 1 to {NAME_MAX} characters long")
    if "\x00" in value:
        raise ValueError(f"{field} must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{field} contains a lone surrogate") from None
    return value


def _ident(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= ID_MAX or "\x00" in value:
        raise ValueError(f"{field} must be 1 to {ID_MAX} characters without NUL")
    return value


def _timestamp(value: Any) -> str | float | None:
    if value is None:
        return datetime.now(UTC).isoformat()
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.utcoffset() is None else value
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value
    raise TypeError(f"timestamp must be a datetime, a number or an ISO string, not {value!r}")


def _checked_object(field: str, value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be a mapping, not {type(value).__name__}")
    return value


def _check_objects(event: dict[str, Any]) -> None:
    """Name the object that failed to encode or is over the server's per-object limit.

    Only called when the whole event failed or is big, so the common case encodes once.
    """
    for field in ("properties", "context"):
        if field not in event:
            continue
        try:
            size = len(dumps(event[field]))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{field} {exc}") from None
        if size > OBJECT_MAX_BYTES:
            raise ValueError(f"{field} is {size} bytes of JSON; the limit is {OBJECT_MAX_BYTES}")


def encode_event(
    namespace: str,
    name: str,
    value: float = 1,
    properties: Mapping[str, Any] | None = None,
    *,
    timestamp: Any = None,
    context: Mapping[str, Any] | None = None,
    user_id: Any = None,
    anonymous_id: Any = None,
    session_id: Any = None,
    message_id: str | None = None,
) -> tuple[str, bytes]:
    """``(message_id, JSON bytes)`` of one event; a UUID is made when no id is given.

    Raises:
        TypeError, ValueError: naming the field that the server would reject.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"value must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("value is too large") from None
    if not math.isfinite(number):
        raise ValueError("value must be a finite number")
    mid = _ident("message_id", message_id) or str(uuid.uuid4())
    event: dict[str, Any] = {
        "namespace": _name("namespace", namespace),
        "name": _name("name", name),
        "timestamp": _timestamp(timestamp),
        "value": value if isinstance(value, int) else number,
        "message_id": mid,
    }
    optional = {
        "properties": _checked_object("properties", properties),
        "context": _checked_object("context", context),
        "user_id": _ident("user_id", user_id),
        "anonymous_id": _ident("anonymous_id", anonymous_id),
        "session_id": _ident("session_id", session_id),
    }
    event.update((k, v) for k, v in optional.items() if v is not None)
    try:
        data = dumps(event)
    except (TypeError, ValueError):
        _check_objects(event)
        raise
    if len(data) > OBJECT_MAX_BYTES:
        _check_objects(event)
    if b"\\u0000" in data:
        raise ValueError("properties and context must not contain NUL characters")
    return mid, data
