"""OpenSlides' Redis going away (spec openslides3.md section 6, "Outage"): new requests get
503, ``/readyz`` fails, open streams stay open and resume without loss when it is back.
Uses a private redis-server on a free port, stopped and started again with its data."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from tests.compat.openslides.os3.fixture import DAVE, meeting
from tests.compat.openslides.os3.layout import Layout
from tests.compat.openslides.os3.server_fixtures import Meeting, data_line, mode_env, secret_file
from tests.server import free_port, running_server

pytestmark = pytest.mark.serial


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop it, keeping its data on disk for the next start."""
        assert self.proc is not None
        redis.Redis.from_url(self.url).shutdown(save=True)
        self.proc.wait(10)


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


def _until_status(url: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        response = httpx.get(url, timeout=5)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_redis_outage_gives_503_and_open_streams_resume_without_loss(tmp_path: Path) -> None:
    with private_redis(tmp_path) as backend:
        layout = Layout(backend.url, "")
        layout.build(meeting())
        env = mode_env(backend.url, "", secret_file(tmp_path))
        with running_server(tmp_path / "data", env) as server:
            os3 = Meeting(server, layout)
            cookie = os3.cookie(DAVE)
            start = layout.current()
            with os3.stream(f"/system/autoupdate?change_id={start}", DAVE) as reader:
                first = layout.change({"core/tag:50": {"id": 50, "name": "before"}})
                assert data_line(reader)["to_change_id"] == first
                backend.stop()
                response = _until_status(f"{server.url}/readyz", 503)
                assert response.status_code == 503
                refused = httpx.get(f"{server.url}/system/autoupdate", headers=cookie, timeout=5)
                assert refused.status_code == 503
                assert refused.headers["retry-after"] == "1"
                assert refused.json()["error"]["type"] == "InternalError"
                assert reader.next() == {"connected": True}  # still open, kept alive
                backend.start()
                layout = Layout(backend.url, "")
                layout.write({"core/tag:51": {"id": 51, "name": "unannounced"}})
                top = layout.change({"core/tag:52": {"id": 52, "name": "after"}})
                names: set[str] = set()
                to = first
                while to != top:
                    line = data_line(reader)
                    assert line["from_change_id"] == to
                    to = line["to_change_id"]
                    names |= {t["name"] for t in line["changed"].get("core/tag", [])}
                assert names == {"unannounced", "after"}
            assert _until_status(f"{server.url}/readyz", 200).status_code == 200
            url = f"{server.url}/system/autoupdate?change_id=x"
            assert httpx.get(url, headers=cookie, timeout=5).status_code == 400  # served again
