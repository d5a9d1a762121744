"""A real ``tidings serve`` process speaking to an Opencast-like client over a socket."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.compat.opencast.test_current import ADOPTER_KEY, OPENCAST_HEADERS, payload
from tests.server import running_server

pytestmark = pytest.mark.serial


def _send(url: str, method: str, path: str, body: bytes) -> tuple[int, dict[str, object]]:
    # http.client sends a body with DELETE, as Opencast's HTTP client does (seed 1.2).
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=OPENCAST_HEADERS)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_opencast_daily_run_and_deregistration_against_a_served_process(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        status, body = _send(server.url, "POST", "/api/1.0/adopter", payload("general_data"))
        assert status == 200
        status, body = _send(server.url, "POST", "/api/1.0/statistic", payload("statistics_ci"))
        assert status == 200
        listed = httpx.get(f"{server.url}/api/1.0/adopter", auth=server.admin).json()
        assert listed["adopters"][0]["city"] == "Osnabrück"
        assert "opencast" in server.cli("source", "list")
        for path, name in (
            ("/api/1.0/statistic", "delete_statistic"),
            ("/api/1.0/adopter", "delete_adopter"),
        ):
            status, body = _send(server.url, "DELETE", path, payload(name))
            assert status == 200
        assert body == {"deleted": ADOPTER_KEY}
        events = httpx.get(
            f"{server.url}/api/v1/events?namespace=opencast", auth=server.admin
        ).json()["events"]
        assert {e["name"] for e in events} >= {"statistic", "total_minutes"}
