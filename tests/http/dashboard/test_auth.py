from __future__ import annotations

from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of, log_in
from tidings.core.auth import hash_password
from tidings.http.dashboard.auth import SESSION_COOKIE
from tidings.http.deps import Runtime


def test_pages_redirect_strangers_to_login_keeping_the_target(client: TestClient) -> None:
    answer = client.get("/explore?fn=sum", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/explore%3Ffn%3Dsum"


def test_login_sets_an_httponly_session_and_goes_to_next(client: TestClient, admin) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrf": token, "username": admin[0], "password": admin[1], "next": "/live"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/live"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert client.get("/live").status_code == 200


def test_wrong_password_shows_the_form_again_with_401(client: TestClient, admin) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"csrf": token, "username": admin[0], "password": "nope-nope-nope"}
    )
    assert answer.status_code == 401
    assert "Wrong username or password" in answer.text
    assert SESSION_COOKIE not in client.cookies


def test_login_without_the_form_token_is_refused(client: TestClient, admin) -> None:
    client.get("/login")
    answer = client.post("/login", data={"username": admin[0], "password": admin[1]})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_next_never_leaves_the_site(client: TestClient, admin) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrf": token, "username": admin[0], "password": admin[1], "next": "//evil.example"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_a_forged_session_cookie_is_ignored(client: TestClient, admin) -> None:
    log_in(client, *admin)
    value = client.cookies[SESSION_COOKIE]
    forged = ("B" if value[0] == "A" else "A") + value[1:]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, forged)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_password_change_ends_old_sessions(client: TestClient, rt: Runtime, admin) -> None:
    log_in(client, *admin)
    assert client.get("/", follow_redirects=False).status_code == 200
    rt.storage.set_password(admin[0], hash_password("another-password-2"))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token_and_ends_the_session(client: TestClient, admin) -> None:
    log_in(client, *admin)
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    token = csrf_of(client.get("/").text)
    answer = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert answer.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_data_endpoints_answer_401_without_a_browser_login_prompt(client: TestClient) -> None:
    for path in ("/dashboard/data/overview", "/dashboard/data/events", "/dashboard/data/live"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert not answer.headers["www-authenticate"].lower().startswith("basic")
