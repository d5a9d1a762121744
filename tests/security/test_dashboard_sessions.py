"""Server-side dashboard sessions (issue 20: the stateless cookie stayed valid 7 days after
logout). Two apps share one database, as two processes would: ending a session in one - by
logout, password change or user deletion - ends it in the other at once. Each login rotates
the token, the database holds only its hash, and an expired session is not answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, VIEWER
from tests.http.dashboard.helpers import csrf_of, log_in
from tests.services import postgres_schema
from tidings.app import create_app
from tidings.config import Settings
from tidings.core.auth import hash_password, secret_hash
from tidings.http.dashboard.auth import SESSION_COOKIE
from tidings.http.deps import Runtime
from tidings.model.timeparse import now_us


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(data_dir=str(tmp_path / "data"), admin_password=ADMIN[1])
    if request.param == "sqlite":
        yield base
        return
    with postgres_schema() as url:
        yield base.replace(database_url=url)


@pytest.fixture
def other(settings: Settings, client: TestClient) -> Iterator[TestClient]:
    """A second app on the same database (another process, as far as sessions go)."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as second:
        yield second


def _logged_in(client: TestClient, username: str, password: str) -> str:
    client.cookies.clear()
    log_in(client, username, password)
    token: str = client.cookies[SESSION_COOKIE]
    return token


def _page(client: TestClient, token: str) -> int:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    return client.get("/explore", follow_redirects=False).status_code


def test_logout_ends_the_session_in_every_process(client: TestClient, other: TestClient) -> None:
    token = _logged_in(client, *ADMIN)
    assert _page(other, token) == 200
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    # The old cookie, replayed anywhere, is no session any more.
    assert _page(other, token) == 303
    assert _page(client, token) == 303


def test_a_password_change_ends_every_session_of_the_user(
    client: TestClient, other: TestClient, rt: Runtime
) -> None:
    rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "viewer")
    admin_token = _logged_in(client, *ADMIN)
    viewer_tokens = [_logged_in(client, *VIEWER), _logged_in(other, *VIEWER)]
    rt.storage.set_password(VIEWER[0], hash_password("a-new-password-3"))
    assert [_page(other, t) for t in viewer_tokens] == [303, 303]
    assert _page(other, admin_token) == 200


def test_deleting_a_user_ends_their_sessions(
    client: TestClient, other: TestClient, rt: Runtime
) -> None:
    rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "viewer")
    token = _logged_in(client, *VIEWER)
    assert rt.storage.delete_user(VIEWER[0])
    # Even a user of the same name made afterwards does not inherit the session.
    rt.storage.create_user(VIEWER[0], hash_password(VIEWER[1]), "admin")
    assert _page(other, token) == 303


def test_each_login_rotates_the_token(client: TestClient) -> None:
    first = _logged_in(client, *ADMIN)
    csrf_first = csrf_of(client.get("/").text)
    # Logging in again from a browser still holding a session: a new token, the old one ends.
    client.cookies.clear()
    form_token = csrf_of(client.get("/login").text)
    client.cookies.set(SESSION_COOKIE, first)
    answer = client.post(
        "/login",
        data={"csrf": form_token, "username": ADMIN[0], "password": ADMIN[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    second = answer.cookies[SESSION_COOKIE]
    assert second != first
    assert csrf_of(client.get("/").text) != csrf_first
    assert _page(client, first) == 303
    assert _page(client, second) == 200


def test_the_database_keeps_only_the_tokens_hash(client: TestClient, rt: Runtime) -> None:
    token = _logged_in(client, *ADMIN)
    found = rt.storage.dashboard_session(secret_hash(token), now_us())
    assert found is not None and found[0].username == ADMIN[0]
    assert rt.storage.dashboard_session(token, now_us()) is None
    with rt.storage.engine.connect() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import text

        rows = conn.execute(text("SELECT token_hash FROM dashboard_sessions")).all()
    assert [r[0] for r in rows] == [secret_hash(token)]


def test_an_expired_session_is_not_answered_and_is_swept_out(
    client: TestClient, rt: Runtime
) -> None:
    user = rt.storage.get_user(ADMIN[0])
    assert user is not None
    now = now_us()
    rt.storage.create_dashboard_session(secret_hash("old-token"), user.id, "c", now - 10, now - 1)
    assert _page(client, "old-token") == 303
    _logged_in(client, *ADMIN)  # a new session sweeps expired ones out
    assert rt.storage.dashboard_session(secret_hash("old-token"), now - 5) is None
