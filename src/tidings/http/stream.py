"""A streaming response for long-lived live streams (SSE, NDJSON).

Unlike a plain streaming response it also ends the stream when the reader is dropped for
being too slow: the body writer may be stuck waiting for a full socket to drain, so a
watcher cancels it, tries to send a final error line briefly, and closes the connection.
The kernel and transport buffers stay bounded (uvicorn pauses writes at its high-water
mark), so a stuck reader costs a fixed amount of memory until it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tidings.core.live import Subscription

#: How long a dropped reader gets to take its final error line.
FINAL_LINE_SECONDS = 1.0


class LiveResponse(Response):
    """A Response (so it fits any route) whose body is written by :meth:`__call__` alone:
    ``chunks`` read from ``sub``, which is closed when the response ends; ``final_line`` is
    what a dropped reader is sent last."""

    def __init__(
        self,
        chunks: AsyncGenerator[bytes, None],
        media_type: str,
        sub: Subscription[Any],
        final_line: bytes,
    ) -> None:
        self.chunks = chunks
        self.content_type = media_type
        self.dropped = sub.dropped
        self.final_line = final_line
        self.on_close = sub.close
        self.status_code = 200
        self.background = None
        # Extended by whoever serves the response (http.hotpath adds security headers).
        self.raw_headers = [
            (b"content-type", media_type.encode()),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            pump = asyncio.create_task(self._pump(send))
            listen = asyncio.create_task(self._listen(receive))
            drop = asyncio.create_task(self.dropped.wait())
            done, pending = await asyncio.wait(
                (pump, listen, drop), return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if drop in done and pump not in done:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(FINAL_LINE_SECONDS):
                        await send(
                            {
                                "type": "http.response.body",
                                "body": self.final_line,
                                "more_body": False,
                            }
                        )
        finally:
            with contextlib.suppress(Exception):
                await self.chunks.aclose()
            self.on_close()

    async def _pump(self, send: Send) -> None:
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _listen(receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
