"""Translate one JSON line of a log into a native event object, ready for validation.

Formats: ``native`` (what ``tidings export --format jsonl`` writes, so an export imports
back), ``segment`` (Segment messages, as a Segment log or archive holds them) and ``edx``
(event-tracking log lines: ``name``/``event_type``, ``time``/``timestamp``, ``data``/
``event``, ``context``). ``auto`` picks per line. Lines without a message id get one derived
from their content, so importing the same file twice stores every line once.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

FORMATS = ("auto", "native", "segment", "edx")
#: Fields of an exported event that a fresh import assigns itself.
EXPORT_ONLY = frozenset(("id", "source", "received_at"))
_SEGMENT_NAMES = {
    "page": "page",
    "screen": "screen",
    "identify": "identify",
    "group": "group",
    "alias": "alias",
}


class ImportLineError(ValueError):
    """The line is not an event of the format; the message names the field."""


def _derived_id(line: bytes) -> str:
    return "import-" + hashlib.sha256(line.strip()).hexdigest()[:32]


def detect(obj: dict[str, Any]) -> str:
    if "namespace" in obj:
        return "native"
    if "type" in obj and ("messageId" in obj or "event" in obj or "userId" in obj):
        return "segment"
    if "name" in obj or "event_type" in obj:
        return "edx"
    raise ImportLineError("format: cannot tell the format of this line; give --format")


def _segment(obj: dict[str, Any], line: bytes) -> dict[str, Any]:
    kind = obj.get("type")
    if kind == "track":
        name = obj.get("event")
        if not isinstance(name, str) or not name:
            raise ImportLineError("event: a track message needs an event name")
    elif isinstance(kind, str) and kind in _SEGMENT_NAMES:
        name = _SEGMENT_NAMES[kind]
    else:
        raise ImportLineError(f"type: {kind!r} is not a Segment message type")
    props = obj.get("traits") if kind in ("identify", "group") else obj.get("properties")
    if kind in ("page", "screen") and obj.get("name"):
        props = {**(props or {}), "name": obj["name"]}
    event: dict[str, Any] = {
        "namespace": "segment",
        "name": name,
        "timestamp": obj.get("timestamp") or obj.get("originalTimestamp") or obj.get("sentAt"),
        "properties": props or None,
        "context": obj.get("context") or None,
        "message_id": obj.get("messageId") or _derived_id(line),
        "user_id": obj.get("userId"),
        "anonymous_id": obj.get("anonymousId"),
    }
    return event


def _edx(obj: dict[str, Any], line: bytes) -> dict[str, Any]:
    name = obj.get("name") or obj.get("event_type")
    data = obj.get("data", obj.get("event"))
    if isinstance(data, str):  # older logs carry the payload as a JSON string
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError:
            data = {"value": data}
    context = obj.get("context") if isinstance(obj.get("context"), dict) else None
    user = context.get("user_id") if context else None
    return {
        "namespace": "edx",
        "name": name,
        "timestamp": obj.get("time") or obj.get("timestamp"),
        "properties": data if isinstance(data, dict) and data else None,
        "context": context or None,
        "message_id": _derived_id(line),
        "user_id": str(user) if user not in (None, "") else None,
    }


def to_native(line: bytes, fmt: str) -> dict[str, Any]:
    """The native event object for one log line.

    Raises:
        ImportLineError: not JSON, not an object, or not an event of ``fmt``.
    """
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ImportLineError(f"line: not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ImportLineError("line: must be a JSON object")
    kind = detect(obj) if fmt == "auto" else fmt
    if kind == "native":
        event = {k: v for k, v in obj.items() if k not in EXPORT_ONLY}
        event.setdefault("message_id", _derived_id(line))
        return event
    if kind == "segment":
        return _segment(obj, line)
    return _edx(obj, line)
