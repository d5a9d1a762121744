"""The one event model: every way in becomes an :class:`EventDraft`, then a stored row.

Validation happens once, here, at the edge; the writer trusts what it receives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import orjson

from tidings.errors import FieldError, Invalid
from tidings.model.ids import derived_message_id
from tidings.model.timeparse import parse_timestamp

_T = TypeVar("_T")

NAME_MAX = 200
ID_MAX = 255
#: What a source (or Microticks consumer) may be called: it appears in URLs and file names.
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(slots=True)
class EventDraft:
    """A validated event waiting to be committed.

    ``properties`` and ``context`` are already JSON text (or None). ``message_id`` is the
    client's idempotency key; without one, storage derives the id from the event id on read
    (:func:`tidings.model.ids.derived_message_id`), so nothing is generated or looked up here.
    """

    source_id: int
    namespace: str
    name: str
    timestamp: int
    received_at: int
    value: float
    properties: str | None
    context: str | None
    message_id: str | None
    user_id: str | None
    anonymous_id: str | None
    session_id: str | None


#: What a client may send of an event: the draft's fields but those the server sets itself.
FIELDS = frozenset(f.name for f in fields(EventDraft)) - {"source_id", "received_at"}


def message_id_of(draft: EventDraft, event_id: int) -> str:
    """The message id readers see for ``draft`` once it is stored as ``event_id``."""
    if draft.message_id is not None:
        return draft.message_id
    return derived_message_id(event_id, draft.received_at)


class _Errors:
    __slots__ = ("items", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(f"{self.prefix}{field}", message))


def _name(obj: dict[str, Any], field: str, errors: _Errors) -> str:
    value = obj.get(field)
    if value is None:
        errors.add(field, "is required")
        return ""
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return ""
    if not 1 <= len(value) <= NAME_MAX:
        errors.add(field, f"must be 1 to {NAME_MAX} characters long")
    elif "\x00" in value:
        errors.add(field, "must not contain NUL characters")
    return value


def _optional_id(obj: dict[str, Any], field: str, errors: _Errors) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    if not 1 <= len(value) <= ID_MAX:
        errors.add(field, f"must be 1 to {ID_MAX} characters long")
    elif "\x00" in value:
        errors.add(field, "must not contain NUL characters")
    return value


def _parsed(
    obj: dict[str, Any], field: str, parse: Callable[[Any], _T], default: _T, errors: _Errors
) -> _T:
    """``parse`` of the field when it is there (its ValueError names the problem), else
    ``default``; a bad value is recorded and ``default`` stands in, so every error is found."""
    raw = obj.get(field)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        errors.add(field, str(exc))
        return default


def _object(obj: dict[str, Any], field: str, errors: _Errors, limit: int) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.add(field, "must be a JSON object")
        return None
    if not value:
        return None
    try:
        text = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError) as exc:
        errors.add(field, f"cannot be stored as JSON ({exc})")
        return None
    if len(text) > limit:
        errors.add(field, f"is {len(text)} bytes of JSON; the limit is {limit}")
    elif b"\\u0000" in text:
        errors.add(field, "must not contain NUL characters")
    return text.decode()


def parse_value(value: Any) -> float:
    """A finite number as float; raises ValueError with the reason otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("is too large") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def validate_event(
    obj: Any,
    *,
    source_id: int,
    received_at: int,
    max_event_bytes: int,
    prefix: str = "",
    extra_fields: frozenset[str] = frozenset(),
) -> tuple[EventDraft | None, list[FieldError]]:
    """Validate one native-API event object.

    Args:
        obj: the decoded JSON value.
        source_id: the source the event arrived with.
        received_at: server clock (us); also the timestamp when none is given.
        max_event_bytes: limit for each of ``properties`` and ``context`` as JSON.
        prefix: prepended to field names in errors (``events.3.``).
        extra_fields: top-level keys that are allowed and ignored (``writeKey``).

    Returns:
        ``(draft, [])`` when valid, else ``(None, errors)``.
    """
    errors = _Errors(prefix)
    if not isinstance(obj, dict):
        errors.add("" if prefix else "body", "must be a JSON object")
        return None, errors.items
    # The common case (only known keys) is one C-level check instead of a loop per key.
    if not FIELDS.issuperset(obj):
        for key in obj:
            if key not in FIELDS and key not in extra_fields:
                errors.add(key, "is not a known field")
    namespace = _name(obj, "namespace", errors)
    name = _name(obj, "name", errors)
    timestamp = _parsed(obj, "timestamp", parse_timestamp, received_at, errors)
    value = _parsed(obj, "value", parse_value, 1.0, errors)
    properties = _object(obj, "properties", errors, max_event_bytes)
    context = _object(obj, "context", errors, max_event_bytes)
    message_id = _optional_id(obj, "message_id", errors)
    user_id = _optional_id(obj, "user_id", errors)
    anonymous_id = _optional_id(obj, "anonymous_id", errors)
    session_id = _optional_id(obj, "session_id", errors)
    if errors.items:
        return None, errors.items
    return (
        EventDraft(
            source_id,
            namespace,
            name,
            timestamp,
            received_at,
            value,
            properties,
            context,
            message_id,
            user_id,
            anonymous_id,
            session_id,
        ),
        [],
    )


def validate_events(
    objs: list[Any],
    *,
    source_id: int,
    received_at: int,
    max_event_bytes: int,
) -> list[EventDraft]:
    """Validate a batch whole: one bad event rejects all, naming each index and field.

    Raises:
        Invalid: with one FieldError per problem, fields like ``events.3.name``.
    """
    drafts: list[EventDraft] = []
    problems: list[FieldError] = []
    for index, obj in enumerate(objs):
        draft, errors = validate_event(
            obj,
            source_id=source_id,
            received_at=received_at,
            max_event_bytes=max_event_bytes,
            prefix=f"events.{index}.",
        )
        if draft is None:
            problems.extend(errors)
        else:
            drafts.append(draft)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(f"{first.field} {first.message}{more}", problems)
    return drafts
