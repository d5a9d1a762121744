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


def test_the_login_url_and_first_password_come_after_the_server_listens(tmp_path: Path) -> None:
    env = {"TIDINGS_ADMIN_PASSWORD": "", "TIDINGS_LOG_LEVEL": "info"}
    with running_server(tmp_path / "data", env) as server:
        log = server.log.read_text()
    listening = log.index("Uvicorn running on")
    banner = log.index(f"log in at {server.url}/login")
    password = log.index("Created user 'admin' with password: ")
    assert listening < banner < password


def test_the_banner_names_an_address_a_browser_can_open() -> None:
    from tidings.cli.serve import login_banner
    from tidings.config import Settings

    shown = login_banner(Settings(host="0.0.0.0", port=9000), "pw-123")
    assert shown.splitlines()[0].endswith("http://127.0.0.1:9000/login")
    assert "with password: pw-123" in shown
    assert login_banner(Settings(host="::1"), None).endswith("http://[::1]:8000/login")
