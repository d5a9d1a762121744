"""No default credentials: a fresh install has one user, ``admin``, whose password is either
TIDINGS_ADMIN_PASSWORD or random and printed once; no well-known password, user or key works."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of
from tests.server import running_server
from tidings.app import create_app
from tidings.compat.microticks.sessions import list_consumers
from tidings.config import Settings
from tidings.core.bootstrap import secret_key
from tidings.http.deps import Runtime
from tidings.storage import credentials

WELL_KNOWN = [
    "",
    "admin",
    "password",
    "changeme",
    "tidings",
    "admin123",
    "123456",
    "12345678",
    "secret",
    "letmein",
    "Password1",
    "admin-password-1",
]
USERNAMES = ["admin", "root", "tidings", "test", "guest", "user", "demo", "viewer"]


@pytest.fixture
def fresh(tmp_path: Path) -> TestClient:
    """An app on an empty data dir with no TIDINGS_ADMIN_PASSWORD. Throttling is off, so
    every guess is really checked (with it on, they soon get 429)."""
    settings = Settings(
        data_dir=str(tmp_path / "data"),
        admin_password="",
        anonymous_rate_limit=0,
        login_failures_per_minute=0,
    )
    return TestClient(create_app(settings))


def test_a_fresh_install_has_only_admin_and_no_keys(fresh: TestClient) -> None:
    with fresh:
        rt: Runtime = fresh.app.state.runtime  # type: ignore[attr-defined]
        assert [(u.username, u.role) for u in rt.storage.list_users()] == [("admin", "admin")]
        assert rt.storage.list_sources() == []
        assert credentials.list_api_tokens(rt.storage.engine) == []
        assert credentials.list_clients(rt.storage.engine) == []
        assert list_consumers(rt.storage) == []


def test_no_well_known_password_opens_anything(fresh: TestClient) -> None:
    with fresh:
        # Every well-known password for admin; for other names (none exists) the name
        # itself and the commonest ones: each check costs an argon2 verification.
        pairs = [("admin", p) for p in WELL_KNOWN]
        pairs += [(u, p) for u in USERNAMES[1:] for p in (u, "password", "")]
        for username, password in pairs:
            answer = fresh.get("/api/v1/events", auth=(username, password))
            assert answer.status_code == 401, (username, password)
        for password in WELL_KNOWN[1:5]:
            token = csrf_of(fresh.get("/login").text)
            form = {"csrf": token, "username": "admin", "password": password}
            assert fresh.post("/login", data=form, follow_redirects=False).status_code == 401


def test_no_built_in_key_or_token_is_accepted(fresh: TestClient) -> None:
    guesses = ["", "test", "changeme", "secret", "admin", "tidings", "wk_test", "0" * 32]
    with fresh:
        for guess in guesses:
            event = {"namespace": "n", "name": "e"}
            ingest = fresh.post("/api/v1/events", json=event, headers={"X-Write-Key": guess})
            assert ingest.status_code == 401, guess
            read = fresh.get("/api/v1/events", headers={"Authorization": f"Bearer {guess}"})
            assert read.status_code == 401, guess
            # Unset TIDINGS_MICROTICKS_KEY and webhook secret mean "no key", not "empty key".
            assert fresh.get("/events", params={"key": guess}).status_code == 401, guess
            assert fresh.post(f"/segmentio/event?key={guess}", json={}).status_code == 401
            session = fresh.post("/sessions", data={"consumer_key": guess, "ts": "1"})
            assert session.status_code == 400, guess
            oauth = {"grant_type": "client_credentials", "client_id": guess, "client_secret": guess}
            assert fresh.post("/o/token/", data=oauth).status_code == 401


def test_the_secret_key_is_random_per_install_and_private(tmp_path: Path) -> None:
    first, second = secret_key(str(tmp_path / "a"), ""), secret_key(str(tmp_path / "b"), "")
    assert first != second and len(first) >= 43
    assert secret_key(str(tmp_path / "a"), "") == first
    mode = stat.S_IMODE(os.stat(tmp_path / "a" / "secret_key").st_mode)
    assert mode == 0o600


@pytest.mark.serial
def test_first_start_prints_a_random_password_once(tmp_path: Path) -> None:
    env = {"TIDINGS_ADMIN_PASSWORD": ""}
    with running_server(tmp_path / "one", env) as server:
        log = server.log.read_text()
        found = re.findall(r"Created user 'admin' with password: (\S+)", log)
        assert len(found) == 1
        password = found[0]
        assert len(password) >= 16 and password not in WELL_KNOWN
        assert httpx.get(f"{server.url}/api/v1/events", auth=("admin", password)).status_code == 200
        assert httpx.get(f"{server.url}/api/v1/events", auth=("admin", "admin")).status_code == 401
        server.stop()
        server.start()
        # The second start finds the admin and prints nothing.
        assert server.log.read_text().count(password) == 1
    with running_server(tmp_path / "two", env) as other:
        again = re.findall(r"Created user 'admin' with password: (\S+)", other.log.read_text())
    assert again and again[0] != password


@pytest.mark.serial
def test_tidings_admin_password_is_used_and_not_printed(tmp_path: Path) -> None:
    with running_server(tmp_path, {"TIDINGS_ADMIN_PASSWORD": "chosen-password-42"}) as server:
        answer = httpx.get(f"{server.url}/api/v1/events", auth=("admin", "chosen-password-42"))
        assert answer.status_code == 200
        assert "chosen-password-42" not in server.log.read_text()
        assert "Created user" not in server.log.read_text()
