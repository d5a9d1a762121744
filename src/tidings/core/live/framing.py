"""How live items go on the wire: Server-Sent Events frames or newline-delimited JSON.

The one place that writes ``id:``/``event:``/``data:`` frames, NDJSON lines, keepalives and
the final error of a stream, for every live route (the native stream, the dashboard's, the
``/system`` ones).
"""

from __future__ import annotations

from typing import Any

import orjson


def sse_frame(event_id: int, data: bytes) -> bytes:
    """One event as a Server-Sent Events frame; ``id`` is what a browser resumes from."""
    return b"id: %d\ndata: %s\n\n" % (event_id, data)


def ndjson_line(data: bytes) -> bytes:
    return data + b"\n"


def json_line(value: Any) -> bytes:
    """``value`` encoded as one NDJSON line."""
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)


class Framing:
    """One of the two formats; :data:`SSE` and :data:`NDJSON` are the instances."""

    __slots__ = ("keepalive", "opening", "sse")

    def __init__(self, sse: bool) -> None:
        self.sse = sse
        #: What a stream sends first: browsers reconnect after a second, not their default.
        self.opening = b"retry: 1000\n\n" if sse else b""
        #: What an idle stream sends, so proxies and clients see it is alive.
        self.keepalive = b": keepalive\n\n" if sse else b"\n"

    def event(self, event_id: int, data: bytes) -> bytes:
        """One item with its id (SSE carries the id; an NDJSON item carries its own)."""
        return sse_frame(event_id, data) if self.sse else ndjson_line(data)

    def error(self, body: dict[str, str]) -> bytes:
        """The last thing a stream sends when it ends on an error (a slow reader)."""
        if self.sse:
            return b"event: error\ndata: %s\n\n" % orjson.dumps(body)
        return orjson.dumps({"error": body}) + b"\n"


SSE = Framing(sse=True)
NDJSON = Framing(sse=False)
