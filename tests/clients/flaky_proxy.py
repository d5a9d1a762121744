"""A tiny HTTP proxy that loses answers on purpose, to make real clients retry.

Each request is forwarded to the upstream server; while ``fail_next`` is above zero the
upstream's answer is thrown away and the client gets a 503 instead, so the client sends the
very same batch again although the server already committed it.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    failed: bool
    body: bytes = b""

    def json(self) -> Any:
        raw = (
            gzip.decompress(self.body)
            if self.headers.get("content-encoding") == "gzip"
            else self.body
        )
        return json.loads(raw)


@dataclass
class FlakyProxy:
    url: str
    fail_next: int = 0
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_failure(self) -> bool:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False


@contextmanager
def flaky_proxy(upstream: str) -> Iterator[FlakyProxy]:
    client = httpx.Client(base_url=upstream, timeout=30)
    state = FlakyProxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            answer = client.post(self.path, content=body, headers=headers)
            failed = state.take_failure()
            state.seen.append(
                Seen(self.path, {k.lower(): v for k, v in headers.items()}, failed, body)
            )
            status, content = (
                (503, b'{"code":"lost","message":"answer lost on purpose"}')
                if failed
                else (answer.status_code, answer.content)
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        client.close()
