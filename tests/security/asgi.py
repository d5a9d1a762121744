"""Calling the app's ASGI interface directly, for answers that never end (live streams).

The test client waits for a whole body; an allowed SSE or NDJSON stream has none. Here the
request is sent, the status and headers are taken from ``http.response.start``, and the
client then disconnects, as a browser closing the tab would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]


async def _call(
    app: Any, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> Answer:
    started: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # The request is over: wait for the answer to start, then hang up.
        await asyncio.wait([started], timeout=10)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and not started.done():
            raw = message.get("headers", [])
            started.set_result(
                Answer(message["status"], {k.decode().lower(): v.decode() for k, v in raw})
            )

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("198.51.100.7", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait([started, task], timeout=15, return_when="FIRST_COMPLETED")
        if not started.done():
            if task.done():
                task.result()  # an exception escaping the app is the test's failure
            raise AssertionError(f"{method} {path}: no answer started within 15 s")
        return started.result()
    finally:
        # The client has hung up (receive said so); a stream notices and ends by itself.
        await asyncio.wait([task], timeout=5)
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def call(
    client: TestClient,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Answer:
    """The status and headers of one request to ``client``'s running app."""
    assert client.portal is not None, "use the client inside its `with` block"
    return client.portal.call(_call, client.app, method, path, query, headers or {}, body)
