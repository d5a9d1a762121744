"""A real server in the OpenSlides mode over the fixture meeting, in a key prefix of its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.openslides.os3.fixture import meeting
from tests.compat.openslides.os3.layout import SECRET, Layout, key_prefix
from tests.server import Server, running_server
from tests.services import redis_url
from tests.streams import StreamReader

COOKIE = "OpenSlidesSessionID"


def secret_file(directory: Path, secret: bytes = SECRET) -> Path:
    path = directory / "django-secret"
    path.write_text(f"DEBUG = False\nDJANGO_SECRET_KEY = '{secret.decode()}'\n", encoding="utf-8")
    return path


def mode_env(url: str, prefix: str, secret: Path) -> dict[str, str]:
    return {
        "TIDINGS_OPENSLIDES_REDIS_URL": url,
        "TIDINGS_OPENSLIDES_REDIS_KEY_PREFIX": prefix,
        "TIDINGS_OPENSLIDES_SESSION_PREFIX": prefix + "session:",
        "TIDINGS_OPENSLIDES_SECRET_FILE": str(secret),
        "TIDINGS_LIVE_KEEPALIVE_S": "1",
        "TIDINGS_APPLAUSE_INTERVAL_MS": "100",
    }


@dataclass
class Meeting:
    server: Server
    layout: Layout

    def cookie(self, uid: int) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.layout.login(uid)}"}

    def stream(self, path: str, uid: int | None) -> StreamReader:
        headers = {} if uid is None else self.cookie(uid)
        return StreamReader(f"{self.server.url}{path}", headers=headers)

    def get(self, path: str, uid: int | None = None, method: str = "GET") -> httpx.Response:
        headers = {} if uid is None else self.cookie(uid)
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=10)


@pytest.fixture(scope="module")
def os3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Meeting]:
    url = redis_url()
    layout = Layout(url, key_prefix())
    layout.build(meeting())
    directory = tmp_path_factory.mktemp("os3")
    env = mode_env(url, layout.prefix, secret_file(directory))
    try:
        with running_server(directory / "data", env) as server:
            yield Meeting(server, layout)
    finally:
        layout.clean()


def data_line(reader: StreamReader) -> dict[str, Any]:
    """The next line that is not the connected line (repeated as a keepalive)."""
    while True:
        item = reader.next()
        assert item is not None, "an empty line: the OS3 client takes it for an error"
        if item != {"connected": True}:
            return dict(item)
