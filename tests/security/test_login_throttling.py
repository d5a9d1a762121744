"""Login throttling: repeated failures for one username from one address get 429 with
Retry-After, on HTTP Basic and on the dashboard login, for users that exist and users that
do not alike, and even the right password waits until the limit has passed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.http.dashboard.helpers import csrf_of
from tidings.config import Settings

BURST = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The per-address limit for anonymous requests is off, so only login throttling speaks.
    return Settings(
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN[1],
        anonymous_rate_limit=0,
        login_failures_per_minute=1,
        login_failures_burst=BURST,
    )


def _basic_statuses(client: TestClient, username: str, times: int) -> list[int]:
    return [
        client.get("/api/v1/events", auth=(username, "wrong-password")).status_code
        for _ in range(times)
    ]


def test_basic_auth_failures_turn_into_429_with_retry_after(client: TestClient) -> None:
    assert _basic_statuses(client, "admin", BURST) == [401] * BURST
    answer = client.get("/api/v1/events", auth=("admin", "wrong-password"))
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    # The right password does not get through while the username is throttled: otherwise a
    # guesser would learn which guess was right from the one answer that is not 429.
    assert client.get("/api/v1/events", auth=ADMIN).status_code == 429


def test_unknown_users_are_throttled_exactly_like_real_ones(client: TestClient) -> None:
    real = client.get("/api/v1/events", auth=("admin", "wrong-password"))
    ghost = client.get("/api/v1/events", auth=("nobody-here", "wrong-password"))
    assert (real.status_code, real.json()["detail"]) == (ghost.status_code, ghost.json()["detail"])
    rest = BURST - 1
    assert _basic_statuses(client, "admin", rest + 1) == _basic_statuses(
        client, "nobody-here", rest + 1
    )
    throttled = [
        client.get("/api/v1/events", auth=(name, "x" * 9)) for name in ("admin", "nobody-here")
    ]
    assert [a.status_code for a in throttled] == [429, 429]
    assert {a.json()["detail"].split(" Retry")[0] for a in throttled} == {"Too many failed logins."}


def test_other_usernames_are_not_throttled_by_one_users_failures(
    client: TestClient, viewer: tuple[str, str]
) -> None:
    _basic_statuses(client, "admin", BURST + 1)
    assert client.get("/api/v1/events", auth=viewer).status_code == 200


def test_a_cached_password_is_throttled_too(client: TestClient) -> None:
    # The real user's password sits in the verified-credential cache; an attacker who has
    # used up the failures still gets 429 for it (issue 20: the cache was asked first).
    assert client.get("/api/v1/events", auth=ADMIN).status_code == 200
    _basic_statuses(client, "admin", BURST + 1)
    answer = client.get("/api/v1/events", auth=ADMIN)
    assert answer.status_code == 429
    assert answer.json()["detail"].startswith("Too many failed logins.")


def _dashboard_login(client: TestClient, username: str, password: str) -> tuple[int, str, str]:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrf": token, "username": username, "password": password},
        follow_redirects=False,
    )
    return answer.status_code, answer.headers.get("retry-after", ""), answer.text


def test_dashboard_login_failures_turn_into_429_with_retry_after(client: TestClient) -> None:
    statuses = [_dashboard_login(client, "admin", "wrong-password")[0] for _ in range(BURST)]
    assert statuses == [401] * BURST
    status, retry_after, page = _dashboard_login(client, "admin", ADMIN[1])
    assert status == 429 and 1 <= int(retry_after) <= 60
    assert "Too many failed logins" in page
    assert "tidings_session" not in client.cookies


def test_dashboard_login_does_not_tell_whether_a_user_exists(client: TestClient) -> None:
    def answers(username: str) -> list[tuple[int, str]]:
        out = []
        for _ in range(BURST + 1):
            status, _, page = _dashboard_login(client, username, "wrong-password")
            # Pages may differ only in their CSRF token and the seconds to wait.
            text = re.sub(r"Retry after \d+ s", "Retry after N s", page)
            out.append((status, text.split('name="csrf"')[0]))
        return out

    assert answers("admin") == answers("nobody-here")


def test_basic_and_dashboard_failures_share_one_budget(client: TestClient) -> None:
    _basic_statuses(client, "admin", BURST)
    assert _dashboard_login(client, "admin", ADMIN[1])[0] == 429
