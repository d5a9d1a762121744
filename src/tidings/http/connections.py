"""Connection limits uvicorn lacks: a header deadline, a header size cap, a slow-body timeout
and a cap on open connections that makes room by closing the longest-idle one.

uvicorn's httptools protocol has a keep-alive timeout only once a response is complete: a
connection that never sends a whole request head stays open for good (slowloris), a header
may be any size, a body may trickle forever, and ``limit_concurrency`` counts idle
connections too, so a flood of them turns every request (``/healthz`` included) into 503.
Measured on 21f567b (issue 20): 20,000 idle connections stopped the server answering at all.

Here each connection has ``header_timeout`` seconds from its first byte (or from the end of
its previous response) to finish a request head, else it is closed (408 when part of a head
came); a head over ``max_header_bytes`` gets 431; a body that pauses ``body_timeout`` seconds
gets 408. Past ``max_connections`` open connections, the oldest one that is idle (no request
head in hand) is closed to admit the new one, so a flood of idle sockets cannot lock the
clients that send requests out; when none is idle the new connection is closed at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from tidings.config import Settings
from tidings.http.coalesce import CoalescingHttpToolsProtocol

log = logging.getLogger("tidings.http")


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 4096
    header_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    body_timeout: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            max_connections=settings.max_connections,
            header_timeout=float(settings.header_timeout_s),
            max_header_bytes=settings.max_header_bytes,
            body_timeout=float(settings.body_timeout_s),
        )


def _plain(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
    )


HEADERS_TOO_LARGE = _plain(
    b"431 Request Header Fields Too Large", b"Request header fields too large.\n"
)
HEAD_TIMEOUT = _plain(b"408 Request Timeout", b"The request head did not arrive in time.\n")
BODY_TIMEOUT = _plain(b"408 Request Timeout", b"The request body stopped arriving.\n")


class LimitedHttpToolsProtocol(CoalescingHttpToolsProtocol):
    """uvicorn's httptools protocol (coalescing writes) with the limits above."""

    #: Set by the app factory from the settings (each worker process builds its own app).
    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    #: Connections of this process with no request head in hand, oldest first (a dict keeps
    #: insertion order; the values are unused).
    idle: ClassVar[dict[LimitedHttpToolsProtocol, None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        #: Bytes received since the head began (all head bytes while ``_in_head``).
        self._head_bytes = 0
        #: The head's size as the parser reports it (URL, names and values).
        self._head_size = 0
        self._in_head = True
        self._refused = False

    # -- the connection --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._make_room():
            log.warning("connection limit (%d) reached: refusing", self.limits.max_connections)
            self._refused = True
            self.transport.close()
            return
        self.idle[self] = None
        self._arm(self.limits.header_timeout, self._head_timed_out)

    def _make_room(self) -> bool:
        """Close the longest-idle other connection; False when there is none."""
        for other in self.idle:
            if other is not self:
                other._forget()
                other.transport.close()
                self.connections.discard(other)
                return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()
        super().connection_lost(exc)

    def _forget(self) -> None:
        self.idle.pop(self, None)
        self._disarm()

    def _arm(self, seconds: float, then: Any) -> None:
        self._disarm()
        if seconds > 0:
            self._timer = self.loop.call_later(seconds, then)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, answer: bytes | None) -> None:
        self._refused = True
        self._forget()
        if not self.transport.is_closing():
            if answer is not None:
                self.transport.write(answer)
            self.transport.close()

    # -- the request head ------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still in the head after the parser took every byte: all of them were head bytes.
        if self._in_head and self._head_bytes > self.limits.max_header_bytes:
            self._refuse(HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        if self._timer is None:  # a pipelined request: its own deadline
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # A head that arrives in one piece is counted here, before any app sees it.
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_size += size

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        size, self._head_size = self._head_size, 0
        self.idle.pop(self, None)
        if size > self.limits.max_header_bytes:
            self._refuse(HEADERS_TOO_LARGE)
            return
        self._disarm()
        super().on_headers_complete()
        if self.parser is not None and self.cycle is not None and not self.cycle.response_complete:
            if self.cycle.more_body:
                self._arm(self.limits.body_timeout, self._body_timed_out)

    def _head_timed_out(self) -> None:
        self._timer = None
        # Nothing of a request yet (a fresh or kept-alive connection): just close.
        self._refuse(HEAD_TIMEOUT if self._head_bytes else None)

    # -- the request body ------------------------------------------------------------------
    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._arm(self.limits.body_timeout, self._body_timed_out)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        super().on_message_complete()
        if self.cycle.response_complete and not self.transport.is_closing():
            self.idle[self] = None

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        started = cycle is not None and cycle.response_started
        # The app is waiting on the body: it hears a disconnect when the transport closes.
        self._refuse(None if started else BODY_TIMEOUT)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Answered before its body was all read (a 503 or 413 at once): the rest of the body
        # still arrives and is dropped; the connection is idle only once it has.
        if not self.transport.is_closing() and not self.pipeline and not self.cycle.more_body:
            # Idle again: evictable, and uvicorn's keep-alive timer is running.
            self.idle[self] = None

    def shutdown(self) -> None:
        self._forget()
        super().shutdown()
