"""CSRF: every dashboard form posts a token, and every POST without the right one is 403
and changes nothing. Cookie-authenticated actions on /system/* refuse other sites."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.security.asgi import call
from tests.security.conftest import Credentials
from tidings.http.dashboard.routes import ROUTES as DASHBOARD_ROUTES
from tidings.http.deps import Runtime

#: Every POST of the dashboard, from its router (so a new form is covered at once).
POSTS = sorted(
    r.path for r in DASHBOARD_ROUTES if isinstance(r, Route) and "POST" in (r.methods or ())
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: Fields that would make each form do something, so a refused one visibly did nothing.
FIELDS = {
    "/admin/users": "username=mallory&password=mallory-password-1&role=admin",
    "/admin/users/delete": "username=viewer",
    "/admin/users/password": "username=viewer&password=changed-password-1",
    "/admin/sources": "name=evil",
    "/admin/sources/revoke": "name=web",
    "/admin/sources/retention": "name=web&retention_days=1",
    "/admin/tokens": "username=admin",
    "/admin/tokens/revoke": "id=1",
    "/admin/clients": "name=evil&scope=write",
    "/admin/clients/delete": "name=evil",
}


def test_the_dashboard_has_posts_to_check() -> None:
    assert "/login" in POSTS and "/admin/users" in POSTS and len(POSTS) >= 10


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_right_token_is_403(
    client: TestClient, creds: Credentials, path: str
) -> None:
    cookie, _ = creds.sessions["session_admin"]
    _, viewer_token = creds.sessions["session_viewer"]
    for token in (None, "", "forged", viewer_token):
        body = FIELDS.get(path, "username=admin&password=admin-password-1")
        if token is not None:
            body += f"&csrf={token}"
        answer = call(client, "POST", path, headers={**FORM, "Cookie": cookie}, body=body.encode())
        assert answer.status == 403, (path, token, answer.status)


def test_refused_posts_change_nothing(client: TestClient, creds: Credentials, rt: Runtime) -> None:
    cookie, _ = creds.sessions["session_admin"]
    before = (rt.storage.list_users(), rt.storage.list_sources())
    for path in POSTS:
        body = FIELDS.get(path, "").encode()
        call(client, "POST", path, headers={**FORM, "Cookie": cookie}, body=body)
    assert (rt.storage.list_users(), rt.storage.list_sources()) == before


def test_the_right_token_is_accepted(client: TestClient, creds: Credentials, rt: Runtime) -> None:
    cookie, token = creds.sessions["session_admin"]
    body = f"{FIELDS['/admin/users']}&csrf={token}".encode()
    answer = call(client, "POST", "/admin/users", headers={**FORM, "Cookie": cookie}, body=body)
    assert answer.status == 201
    assert rt.storage.get_user("mallory") is not None


POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def test_every_post_form_on_every_page_carries_the_token(
    client: TestClient, creds: Credentials
) -> None:
    cookie, token = creds.sessions["session_admin"]
    pages = ["/", "/explore", "/live", "/opencast", "/admin/sources", "/admin/users"]
    pages += ["/admin/tokens", "/admin/clients"]
    seen = 0
    for page in pages:
        html = client.get(page, headers={"Cookie": cookie}).text
        for form in POST_FORM.findall(html):
            seen += 1
            assert f'name="csrf" value="{token}"' in form, (page, form[:200])
    login = client.get("/login").text
    assert 'name="csrf"' in POST_FORM.findall(login)[0]
    assert seen >= 10


@pytest.mark.parametrize("path", ["/system/notify/send", "/system/applause"])
def test_cookie_actions_on_system_routes_refuse_other_sites(
    client: TestClient, creds: Credentials, path: str
) -> None:
    cookie, _ = creds.sessions["session_viewer"]
    body = b'{"channel_id": "x:2:1", "name": "n"}'
    for foreign in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        answer = call(client, "POST", path, headers={"Cookie": cookie, **foreign}, body=body)
        assert answer.status == 403, (path, foreign)
    own = call(
        client,
        "POST",
        "/system/applause",
        headers={"Cookie": cookie, "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status == 200
