"""Read live streams of a real server from a background thread (SSE and NDJSON)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx

Auth = tuple[str, str]


class StreamReader:
    """Opens ``url`` and puts each parsed item on ``items``: for SSE a dict with ``id`` and
    ``data`` (or ``comment`` / ``event``), for NDJSON the decoded line (``None`` for a blank
    keepalive line). ``None`` on ``ended`` marks the end of the stream."""

    def __init__(
        self, url: str, auth: Auth | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self.auth = auth
        self.headers = headers or {}
        self.items: queue.Queue[Any] = queue.Queue()
        self.status: int | None = None
        self.opened = threading.Event()
        self.ended = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StreamReader:
        self._thread.start()
        assert self.opened.wait(30), "stream did not open"
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        try:
            with httpx.stream(
                "GET", self.url, auth=self.auth, headers=self.headers, timeout=60
            ) as response:
                self.status = response.status_code
                self.opened.set()
                sse = response.headers.get("content-type", "").startswith("text/event-stream")
                parse = _sse_parser(self.items.put) if sse else _ndjson(self.items.put)
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    parse(line)
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.ended.set()
            self.items.put(StopIteration)

    def next(self, timeout: float = 30) -> Any:
        item = self.items.get(timeout=timeout)
        assert item is not StopIteration, "stream ended"
        return item

    def until(self, predicate: Callable[[Any], bool], timeout: float = 30) -> list[Any]:
        """Items up to and including the first that satisfies ``predicate``."""
        seen = []
        while True:
            item = self.next(timeout)
            seen.append(item)
            if predicate(item):
                return seen


def _ndjson(put: Callable[[Any], None]) -> Callable[[str], None]:
    def parse(line: str) -> None:
        put(json.loads(line) if line.strip() else None)

    return parse


def _sse_parser(put: Callable[[Any], None]) -> Callable[[str], None]:
    current: dict[str, Any] = {}

    def parse(line: str) -> None:
        if line == "":
            if current:
                item = dict(current)
                if "data" in item:
                    item["data"] = json.loads(item["data"])
                if "id" in item:
                    item["id"] = int(item["id"])
                put(item)
                current.clear()
            return
        if line.startswith(":"):
            current["comment"] = line[1:].strip()
            return
        field, _, value = line.partition(":")
        current[field] = value[1:] if value.startswith(" ") else value

    return parse


def post_events(url: str, key: str, events: list[dict[str, Any]]) -> list[int]:
    response = httpx.post(
        f"{url}/api/v1/events", json={"events": events}, headers={"X-Write-Key": key}, timeout=60
    )
    assert response.status_code == 200, response.text
    ids: list[int] = response.json()["ids"]
    return ids
