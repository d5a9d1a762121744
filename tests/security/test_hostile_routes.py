"""Every route of the route table, walked with text no database stores: NUL and lone
surrogates in path segments, query parameters, header credentials and bodies, on SQLite and
on PostgreSQL. Nothing may give a 5xx; a path, query or credential is refused with a 400
problem naming it before any lookup (issue 20 item 4: these were 500s with tracebacks)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.security.asgi import call
from tests.security.conftest import Credentials
from tests.security.test_route_matrix import PATH_VALUES, app_routes
from tests.services import postgres_schema
from tidings.config import Settings
from tidings.http.text_guard import request_problem

NUL = "a\x00b"
#: The list filters the issue names, and the other query parameters routes read.
QUERY_NAMES = (
    "user_id",
    "session_id",
    "prop.plan",
    "ip",
    "consumer",
    "namespace",
    "name",
    "key",
    "next",
    "source",
)
#: Form and JSON fields the routes read, all spoilt at once.
BODY_NAMES = (
    "username",
    "password",
    "client_id",
    "client_secret",
    "grant_type",
    "token",
    "name",
    "role",
    "consumer_key",
    "namespace",
    "event",
    "userId",
    "anonymousId",
    "writeKey",
    "id",
    "ts",
    "source",
    "retention_days",
    "scope",
    "adopter_key",
)
ROUTES = sorted(set(app_routes()))


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN[1],
        anonymous_rate_limit=0,
        login_failures_per_minute=0,
        opencast_rate_per_minute=0,
    )
    if request.param == "sqlite":
        yield base
        return
    with postgres_schema() as url:
        yield base.replace(database_url=url)


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _path(template: str, value: str) -> str:
    # A converter (``{person:path}``) is routing detail, not a format spec.
    return re.sub(r":\w+}", "}", template).format(**{k: value for k in PATH_VALUES})


def _problem_field(client: TestClient, method: str, path: str, **kw: object) -> str:
    """The field a 400 problem names (read through the test client, which has the body)."""
    answer = client.request(method, path, **kw)  # type: ignore[arg-type]
    assert answer.status_code == 400, (method, path, answer.status_code, answer.text[:200])
    assert answer.headers["content-type"] == "application/problem+json"
    field: str = answer.json()["errors"][0]["field"]
    return field


def test_every_route_refuses_nul_in_path_query_and_credentials(
    client: TestClient, creds: Credentials
) -> None:
    wrong = []
    admin_cookie = creds.headers["session_admin"]["Cookie"]
    for method, template in ROUTES:
        path = _path(template, PATH_VALUES.get("key", "k"))
        cases: list[tuple[str, str, str, dict[str, str]]] = []
        if "{" in template:
            cases.append(("path", _path(template, NUL), "", {}))
        for name in QUERY_NAMES:
            cases.append((name, path, urlencode({name: NUL}), {}))
        cases.append(("prop.\ufffd", path, urlencode({"prop.a\x00": "x"}), {}))
        credentials = {
            "Authorization": [
                {"Authorization": _basic(NUL, "pw")},
                {"Authorization": _basic("admin", NUL)},
                {"Authorization": _basic("a%00", "pw")},
                {"Authorization": f"Bearer {NUL}"},
            ],
            "X-Write-Key": [{"X-Write-Key": NUL}],
            "Cookie": [{"Cookie": f"tidings_session={NUL}"}],
        }
        for field, variants in credentials.items():
            cases += [(field, path, "", headers) for headers in variants]
        for field, target, query, headers in cases:
            answer = call(
                client,
                method,
                target,
                query=query,
                headers={"Cookie": admin_cookie, **headers},
            )
            if answer.status != 400:
                wrong.append(f"{method} {template} [{field}]: {answer.status}")
    assert not wrong, "\n".join(wrong)


def test_every_route_survives_nul_and_lone_surrogates_in_bodies(
    client: TestClient, creds: Credentials
) -> None:
    wrong = []
    admin_cookie, csrf = creds.sessions["session_admin"]
    for method, template in ROUTES:
        if method in ("GET", "OPTIONS", "HEAD"):
            continue
        path = _path(template, PATH_VALUES.get("key", "k"))
        form = {name: NUL for name in BODY_NAMES} | {"csrf": csrf}
        bodies = {
            "form NUL": (urlencode(form).encode(), "application/x-www-form-urlencoded"),
            "form NUL name": (
                b"csrf=" + csrf.encode() + b"&a%00=1",
                "application/x-www-form-urlencoded",
            ),
            "form surrogate": (
                urlencode({"csrf": csrf}).encode() + b"&username=%ED%A0%80",
                "application/x-www-form-urlencoded",
            ),
            "json NUL": (json.dumps({n: NUL for n in BODY_NAMES}).encode(), "application/json"),
            "json NUL key": (
                json.dumps({"properties": {NUL: 1}, "event": "e"}).encode(),
                "application/json",
            ),
            "json surrogate": (b'{"event":"\\ud800","name":"\\udc00x"}', "application/json"),
        }
        for label, (body, media) in bodies.items():
            for auth in ({"Cookie": admin_cookie}, {"X-Write-Key": creds.write_key}):
                headers = {"Content-Type": media, **auth}
                answer = call(client, method, path, headers=headers, body=body)
                if answer.status >= 500:
                    wrong.append(f"{method} {template} [{label}]: {answer.status}")
    assert not wrong, "\n".join(wrong)


def test_the_issues_cases_name_their_field(client: TestClient, creds: Credentials) -> None:
    read = {"Authorization": creds.headers["basic_admin"]["Authorization"]}
    assert _problem_field(client, "GET", "/api/1.0/adopter/k%00") == "path"
    assert (
        _problem_field(client, "GET", "/api/v1/events", headers={"Authorization": _basic(NUL, "x")})
        == "Authorization"
    )
    for name in ("user_id", "session_id", "prop.plan", "ip", "consumer"):
        assert _problem_field(client, "GET", f"/api/v1/events?{name}=a%00", headers=read) == name
    assert _problem_field(client, "GET", "/sessions?consumer=a%00", headers=read) == "consumer"
    # The token endpoint answers in OAuth2's own error format (RFC 6749 5.2).
    token = client.post(
        "/o/token/",
        content=b"grant_type=client_credentials&client_id=a%00&client_secret=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_request"
    assert token.json()["error_description"].startswith("client_id:")
    client.cookies.clear()
    page = client.get("/login")
    assert page.status_code == 200
    # The dashboard answers a person: the login page again, saying what was wrong.
    login = client.post(
        "/login",
        content=b"username=ad%00min&password=x&csrf=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert login.status_code == 400
    assert "username: must not contain NUL" in login.text


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/a/\ud800", b"", "path"),
        ("/a", b"x=%00", "x"),
        ("/a", b"%00=1", "\ufffd"),
        ("/a", b"ok=1&prop.k%00=1", "prop.k\ufffd"),
    ],
)
def test_the_guard_names_what_it_refuses(path: str, query: bytes, field: str) -> None:
    scope = {"path": path, "query_string": query, "headers": []}
    problem = request_problem(scope)
    assert problem is not None
    assert problem.errors[0].field == field


def test_clean_requests_pass_the_guard() -> None:
    scope = {
        "path": "/api/v1/events",
        "query_string": quote("prop.ü=1&user_id=x").encode(),
        "headers": [(b"authorization", _basic("admin", "pw").encode()), (b"x-write-key", b"wk_1")],
    }
    assert request_problem(scope) is None
