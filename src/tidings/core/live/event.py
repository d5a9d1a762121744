"""A committed event as the live streams see it: the fields filters read, and wire bytes
built once and shared by every stream that sends it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from tidings.core.live.framing import ndjson_line, sse_frame
from tidings.model.records import EventFilter


class LiveEvent:
    """One committed event as the live streams need it: filter fields and wire bytes."""

    __slots__ = ("_line", "_sse", "data", "id", "properties", "ts")

    def __init__(self, data: dict[str, Any], ts: int) -> None:
        self.data = data
        self.id: int = data["id"]
        self.ts = ts
        self.properties: dict[str, Any] = data.get("properties") or {}
        self._line: bytes | None = None
        self._sse: bytes | None = None

    @property
    def sse(self) -> bytes:
        """The event as one Server-Sent Events frame (computed once)."""
        if self._sse is None:
            self._sse = sse_frame(self.id, self.json)
        return self._sse

    @property
    def json(self) -> bytes:
        """The native event object as JSON (computed once, shared by every subscriber)."""
        if self._line is None:
            self._line = orjson.dumps(self.data)
        return self._line


class LiveBatch(list[LiveEvent]):
    """Events in id order from one tick that one filter group matched; shared by every
    subscriber of the group, so its wire bytes are built once per format."""

    __slots__ = ("_ndjson", "_sse")

    def __init__(self, events: Iterable[LiveEvent] = ()) -> None:
        super().__init__(events)
        self._sse: bytes | None = None
        self._ndjson: bytes | None = None

    def frames(self, sse: bool) -> bytes:
        if sse:
            if self._sse is None:
                self._sse = b"".join([e.sse for e in self])
            return self._sse
        if self._ndjson is None:
            self._ndjson = b"".join([ndjson_line(e.json) for e in self])
        return self._ndjson


def frames(events: Sequence[LiveEvent], sse: bool) -> bytes:
    """``events`` as SSE frames or NDJSON lines (the shared bytes for a :class:`LiveBatch`)."""
    return (events if isinstance(events, LiveBatch) else LiveBatch(events)).frames(sse)


def _prop_text(value: Any) -> str | None:
    """A property value as the storage engines compare it with ``prop.<key>=<text>``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return orjson.dumps(value).decode()


def matches(flt: EventFilter, event: LiveEvent) -> bool:
    """Whether ``event`` passes the same filter the list endpoint applies in storage."""
    data = event.data
    if flt.source is not None and data["source"] != flt.source:
        return False
    if flt.namespace is not None and data["namespace"] != flt.namespace:
        return False
    if flt.names and data["name"] not in flt.names:
        return False
    if flt.user_id is not None and data["user_id"] != flt.user_id:
        return False
    if flt.session_id is not None and data["session_id"] != flt.session_id:
        return False
    if flt.from_us is not None and event.ts < flt.from_us:
        return False
    if flt.to_us is not None and event.ts >= flt.to_us:
        return False
    return all(_prop_text(event.properties.get(key)) == want for key, want in flt.props)
