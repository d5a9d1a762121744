"""Translate one JSON line of a log into a native event object, ready for validation.

Formats: ``native`` (what ``tidings export --format jsonl`` writes, so an export imports
back), ``segment`` (Segment messages, as a Segment log or archive holds them) and ``edx``
(event-tracking log lines: ``name``/``event_type``, ``time``/``timestamp``, ``data``/
``event``, ``context``). ``auto`` picks per line. ``csv`` reads what ``tidings export
--format csv`` writes (``auto`` recognises its header line). Lines without a message id get one
derived from their content and from how many identical lines came before it in the file, so
importing the same file twice stores every line once, and two identical lines are two events.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tidings.model.wire import EVENT_FIELDS, JSON_FIELDS

FORMATS = ("auto", "native", "segment", "edx", "csv")
#: Fields of an exported event that a fresh import assigns itself (``source`` and
#: ``received_at`` are read by the importer, not by event validation).
EXPORT_ONLY = frozenset(("id", "source", "received_at"))
#: The header line of a CSV export.
CSV_HEADER = ",".join(EVENT_FIELDS)
_SEGMENT_NAMES = {
    "page": "page",
    "screen": "screen",
    "identify": "identify",
    "group": "group",
    "alias": "alias",
}


class ImportLineError(ValueError):
    """The line is not an event of the format; the message names the field."""


class LineIds:
    """Message ids for lines that carry none: the same for the same line at the same place
    among its identical lines, so a re-import repeats them and identical lines stay apart."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, line: bytes) -> str:
        digest = hashlib.sha256(line.strip()).hexdigest()[:32]
        self._seen[digest] += 1
        nth = self._seen[digest]
        # The first occurrence keeps the id earlier imports gave it.
        return f"import-{digest}" if nth == 1 else f"import-{digest}-{nth}"


Record = dict[str, Any] | ImportLineError


def csv_records(lines: Iterable[bytes], derive: LineIds) -> Iterator[tuple[int, Record]]:
    """``(line number, native event or the problem)`` per record of a CSV export, header
    first (skipped). Empty cells are absent fields; the JSON columns are parsed.

    Raises:
        ImportLineError: the header is not the export's.
    """
    numbered = _counted(lines)
    reader = csv.reader(text for _, text in numbered)
    header = next(reader, None)
    if header is None:
        return
    if ",".join(header) != CSV_HEADER:
        raise ImportLineError(f"header: a CSV import needs the export's columns ({CSV_HEADER})")
    for row in reader:
        number = numbered.number
        if len(row) != len(header):
            yield number, ImportLineError(f"line: {len(row)} cells, the header has {len(header)}")
            continue
        event: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            if cell == "":
                continue
            if name in JSON_FIELDS:
                try:
                    event[name] = orjson.loads(cell)
                except orjson.JSONDecodeError:
                    event[name] = cell  # validation names the field
            elif name == "value":
                event[name] = _number(cell)
            else:
                event[name] = cell
        if "message_id" not in event:
            event["message_id"] = derive("\x1f".join(row).encode())
        yield number, event


def _number(cell: str) -> float | str:
    try:
        return float(cell)
    except ValueError:
        return cell  # validation names the field


class _counted:
    """Decoded lines, remembering the number of the last one read: a CSV record may span
    several (a quoted newline) and is numbered by its last."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self.number = 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for line in self._lines:
            self.number += 1
            yield self.number, line.decode("utf-8", errors="replace")


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


def _segment(obj: dict[str, Any], line: bytes, derive: LineIds | None) -> dict[str, Any]:
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
        "message_id": obj.get("messageId") or (derive or _derived_id)(line),
        "user_id": obj.get("userId"),
        "anonymous_id": obj.get("anonymousId"),
    }
    return event


def _edx(obj: dict[str, Any], line: bytes, derive: LineIds | None) -> dict[str, Any]:
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
        "message_id": (derive or _derived_id)(line),
        "user_id": str(user) if user not in (None, "") else None,
    }


def to_native(line: bytes, fmt: str, derive: LineIds | None = None) -> dict[str, Any]:
    """The native event object for one log line; a native line keeps its ``source`` and
    ``received_at`` (the caller reads them). ``derive`` gives ids to lines without one.

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
    if kind == "csv":
        raise ImportLineError("line: JSON in a CSV import")
    if kind == "native":
        event = {k: v for k, v in obj.items() if k != "id"}
        if not event.get("message_id"):
            event["message_id"] = (derive or _derived_id)(line)
        return event
    if kind == "segment":
        return _segment(obj, line, derive)
    return _edx(obj, line, derive)
