"""``GET /``: the Microticks endpoint page where Microticks is in use, else the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.http.dashboard.helpers import log_in
from tidings.compat.microticks import sessions as microticks
from tidings.config import Settings
from tidings.http.deps import Runtime

ENDPOINTS = (
    "GET /sessions",
    "GET /events",
    "POST /sessions",
    "POST /sessions/stop",
    "POST /events",
)


def _is_microticks_page(answer: httpx2.Response) -> bool:
    return all(f"<h2>{name}</h2>" in answer.text for name in ENDPOINTS)


def test_with_an_active_consumer_strangers_get_the_endpoint_page(
    client: TestClient, rt: Runtime
) -> None:
    microticks.create_consumer(rt.storage, "library-site")
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert _is_microticks_page(answer)
    # As the original's examples, the links filter on today's sessions; the login is linked.
    today = datetime.now(UTC).date().isoformat()
    assert f"/sessions?date={today}&amp;key=YOUR_KEY" in answer.text
    assert 'href="/login"' in answer.text


def test_logged_in_users_still_get_the_overview(
    client: TestClient, rt: Runtime, admin: tuple[str, str]
) -> None:
    microticks.create_consumer(rt.storage, "library-site")
    log_in(client, *admin)
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 200
    assert "<h1>Overview</h1>" in answer.text and not _is_microticks_page(answer)


def test_without_microticks_strangers_are_sent_to_the_login(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/")


def test_a_deactivated_consumer_alone_is_not_use(client: TestClient, rt: Runtime) -> None:
    microticks.create_consumer(rt.storage, "old-site")
    assert microticks.delete_consumer(rt.storage, "old-site")
    assert client.get("/", follow_redirects=False).status_code == 303


class TestWithTheDropInKey:
    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(
            data_dir=str(tmp_path / "data"), admin_password=ADMIN[1], microticks_key="k"
        )

    def test_the_configured_key_alone_means_in_use(self, client: TestClient) -> None:
        answer = client.get("/", follow_redirects=False)
        assert answer.status_code == 200 and _is_microticks_page(answer)
