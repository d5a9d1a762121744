"""The real ``tidings serve`` process: start, ingest over a socket, drain on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.server import running_server

pytestmark = pytest.mark.serial


def test_served_process_acknowledges_and_keeps_events_across_restart(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        key = server.create_source("web")
        answer = httpx.post(
            f"{server.url}/api/v1/events",
            json={"events": [{"namespace": "app", "name": "open"}] * 3},
            headers={"X-Write-Key": key},
        )
        assert answer.status_code == 200
        assert answer.json()["accepted"] == 3
        assert server.stop() == 0
        server.start()
        listed = httpx.get(f"{server.url}/api/v1/events", auth=server.admin).json()
        assert len(listed["events"]) == 3
