"""Every kind of credential Tidings knows, made fresh for each test that asks."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER
from tests.credentials import api_token, make_client
from tests.http.dashboard.helpers import csrf_of, log_in
from tidings.compat.microticks.sessions import create_consumer
from tidings.config import Settings
from tidings.core.auth import hash_password, new_secret, secret_hash
from tidings.http.dashboard.auth import SESSION_COOKIE
from tidings.http.deps import Runtime


def basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Credentials:
    """One of each; ``secrets`` lists every plaintext secret made, for leak scans."""

    headers: dict[str, dict[str, str]]
    #: Dashboard sessions: kind -> (cookie header, CSRF token of that session).
    sessions: dict[str, tuple[str, str]]
    consumer_key: str
    write_key: str
    secrets: list[str]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Rate limits off: the matrix makes hundreds of requests, some of them failures.
    return Settings(
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN[1],
        anonymous_rate_limit=0,
        login_failures_per_minute=0,
        opencast_rate_per_minute=0,
    )


def _session(client: TestClient, username: str, password: str) -> tuple[str, str]:
    client.cookies.clear()
    log_in(client, username, password)
    cookie = client.cookies[SESSION_COOKIE]
    csrf = csrf_of(client.get("/admin/tokens" if username == ADMIN[0] else "/").text)
    client.cookies.clear()
    return f"{SESSION_COOKIE}={cookie}", csrf


def _oauth(client: TestClient, rt: Runtime, scope: str) -> tuple[str, str, str]:
    client_id, secret = make_client(rt, scope)
    answer = client.post(
        "/o/token/",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status_code == 200, answer.text
    return client_id, secret, answer.json()["access_token"]


@pytest.fixture
def creds(client: TestClient, rt: Runtime) -> Credentials:
    rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "viewer")
    write_key = new_secret("wk_")
    rt.storage.create_source("web", secret_hash(write_key), None)
    _, consumer_key = create_consumer(rt.storage, "lib")
    token_viewer = api_token(rt, VIEWER[0])
    token_admin = api_token(rt, ADMIN[0])
    made = {scope: _oauth(client, rt, scope) for scope in ("read", "write", "aggregation")}
    sessions = {
        "session_viewer": _session(client, *VIEWER),
        "session_admin": _session(client, *ADMIN),
    }
    headers = {
        "none": {},
        "wrong_password": basic(ADMIN[0], "not-the-password"),
        "basic_viewer": basic(*VIEWER),
        "basic_admin": basic(*ADMIN),
        "token_viewer": bearer(token_viewer),
        "token_admin": bearer(token_admin),
        "oauth_read": bearer(made["read"][2]),
        "oauth_write": bearer(made["write"][2]),
        "oauth_aggregation": bearer(made["aggregation"][2]),
        "write_key": {"X-Write-Key": write_key},
        "consumer_key": bearer(consumer_key),
        **{kind: {"Cookie": cookie} for kind, (cookie, _) in sessions.items()},
    }
    plain = [VIEWER[1], ADMIN[1], write_key, consumer_key, token_viewer, token_admin]
    plain += [secret for (_, secret, token) in made.values() for secret in (secret, token)]
    return Credentials(headers, sessions, consumer_key, write_key, plain)
