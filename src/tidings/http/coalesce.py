"""One ``send`` per response: uvicorn's HTTP protocol with writes coalesced per loop step.

uvicorn writes a response's status line and headers, then its body, as two transport writes,
and uvloop sends each at once: two system calls per response, each waking the client. On the
single-event ingest path py-spy put about a quarter of the event loop's time in the first of
them. Here every write made during one step of the event loop is buffered and leaves in one
write at the start of the next step, so a small response is one system call, and a live
stream's chunks written in one step share one too. Data waits at most one loop step; a close
sends what is buffered first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport proxy whose writes in one loop step go out as one write."""

    __slots__ = ("_chunks", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._chunks:
            self._loop.call_soon(self._flush)
        self._chunks.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        chunks = self._chunks
        if not chunks:
            return
        self._chunks = []
        if self._transport.is_closing():
            return
        self._transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._chunks = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._chunks))

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, set_protocol, ...)
        # is the real transport's.
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        proxy = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(proxy)  # type: ignore[arg-type]
