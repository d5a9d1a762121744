"""Security headers on every answer, and CORS only where a browser client needs it.

Every route of the app is asked (through the same table as the route matrix), as a stranger
and as an admin, with an ``Origin`` from another site.
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.security.asgi import Answer, call
from tests.security.conftest import Credentials
from tests.security.test_route_matrix import TABLE, _request
from tidings.compat.opencast import CORS_PATHS as OPENCAST_CORS_PATHS
from tidings.config import Settings
from tidings.http.hotpath import HotPath
from tidings.http.middleware import CONTENT_SECURITY_POLICY
from tidings.http.problems import HANDLERS

ORIGIN = "https://elsewhere.example"

#: Routes browsers on other sites call: the snippet and Segment's browser SDK (native and
#: /v1/* ingest with a write-only key), the Microticks click tracker and its keyed read API
#: (its dashboard is a static page anywhere, holding the ``?key=``; the original answered
#: every origin), edX's legacy browser endpoint, the snippet itself, and Opencast's keyed
#: routes (the original answered every origin on /api/*; collection reads stay closed).
#: Nothing else.
CORS_ROUTES = {
    ("GET", "/tidings.js"),
    ("GET", "/events"),
    ("GET", "/sessions"),
    ("POST", "/api/v1/events"),
    ("OPTIONS", "/api/v1/events"),
    *{
        (m, f"/v1/{p}")
        for m in ("POST", "OPTIONS")
        for p in ("batch", "import", "track", "identify", "page", "screen", "group", "alias")
    },
    ("POST", "/sessions"),
    ("POST", "/sessions/stop"),
    ("POST", "/events"),
    ("OPTIONS", "/sessions"),
    ("OPTIONS", "/sessions/stop"),
    ("OPTIONS", "/events"),
    ("GET", "/event"),
    ("POST", "/event"),
    ("OPTIONS", "/event"),
    ("POST", "/api/1.0/adopter"),
    ("DELETE", "/api/1.0/adopter"),
    ("POST", "/api/1.0/statistic"),
    ("DELETE", "/api/1.0/statistic"),
    ("POST", "/api/1.0/tobira"),
    ("DELETE", "/api/1.0/tobira"),
    ("GET", "/api/1.0/adopter/{key}"),
    ("PUT", "/api/1.0/adopter/{key}"),
    ("GET", "/api/1.0/adopter/{key}/statistics_report"),
    ("GET", "/api/1.0/adopter/{key}/error_event"),
    ("POST", "/api/1.0/statistics_report"),
    ("POST", "/api/1.0/error_event"),
    *{("OPTIONS", path) for path in OPENCAST_CORS_PATHS},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(segmentio_webhook_secret="s" * 20)


def _answers(client: TestClient, creds: Credentials, kind: str) -> dict[tuple[str, str], Answer]:
    out = {}
    for method, template in sorted(TABLE):
        path, query, headers, body = _request(method, template, kind, creds)
        headers["Origin"] = ORIGIN
        if method == "OPTIONS":
            headers["Access-Control-Request-Method"] = "POST"
        out[(method, template)] = call(
            client, method, path, query=query, headers=headers, body=body
        )
    return out


@pytest.mark.parametrize("kind", ["none", "basic_admin"])
def test_every_answer_carries_the_security_headers(
    client: TestClient, creds: Credentials, kind: str
) -> None:
    missing = []
    for (method, template), answer in _answers(client, creds, kind).items():
        h = answer.headers
        if (
            h.get("x-content-type-options") != "nosniff"
            or h.get("x-frame-options") != "DENY"
            or h.get("referrer-policy") != "same-origin"
            or h.get("content-security-policy") != CONTENT_SECURITY_POLICY
        ):
            missing.append(f"{method} {template} ({answer.status})")
    assert not missing, "answers without the security headers:\n" + "\n".join(missing)


def test_the_policy_forbids_framing_and_foreign_scripts() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"


def test_unknown_paths_and_wrong_methods_carry_them_too(client: TestClient) -> None:
    for answer in (
        client.get("/no/such/path"),
        client.put("/api/v1/events"),
        client.get("/static/no-such-file.css"),
        client.post("/api/v1/events", content=b"{", headers={"X-Write-Key": "wk_nope"}),
    ):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, answer
        assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("kind", ["none", "basic_admin", "write_key"])
def test_cors_is_open_only_on_browser_routes_and_never_with_credentials(
    client: TestClient, creds: Credentials, kind: str
) -> None:
    opened = set()
    for route, answer in _answers(client, creds, kind).items():
        h = answer.headers
        assert h.get("access-control-allow-credentials") is None, route
        allowed = h.get("access-control-allow-origin")
        if allowed is not None:
            # "*" makes browsers drop cookies and Authorization from the request, and the
            # Origin is never reflected (which together with credentials would let any site
            # read answers made with the visitor's login).
            assert allowed == "*", (route, allowed)
            opened.add(route)
    assert opened - CORS_ROUTES == set(), "CORS opened on routes no browser client needs"


def test_browser_ingest_routes_answer_any_origin(client: TestClient, creds: Credentials) -> None:
    answers = _answers(client, creds, "write_key")
    closed = {r for r in CORS_ROUTES if "access-control-allow-origin" not in answers[r].headers}
    assert closed == set(), "browser clients cannot read these answers"


def test_reads_and_admin_routes_send_no_cors_headers(
    client: TestClient, creds: Credentials
) -> None:
    for kind in ("basic_admin", "token_admin", "session_admin"):
        for method, path in (
            ("GET", "/api/v1/events"),
            ("GET", "/api/v1/aggregate"),
            ("DELETE", "/api/v1/events"),
            ("GET", "/api/1.0/adopter"),
            ("GET", "/admin/users"),
            ("GET", "/metrics"),
            ("GET", "/system/autoupdate"),
        ):
            answer = call(client, method, path, headers={**creds.headers[kind], "Origin": ORIGIN})
            assert not any(k.startswith("access-control-") for k in answer.headers), (method, path)


def test_the_sessions_page_sends_no_cors_headers(client: TestClient, creds: Credentials) -> None:
    # GET /sessions is also the dashboard page for a logged-in browser: that answer is private.
    headers = {**creds.headers["session_admin"], "Origin": ORIGIN, "Accept": "text/html"}
    answer = call(client, "GET", "/sessions", headers=headers)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert not any(k.startswith("access-control-") for k in answer.headers)


def test_even_a_server_error_carries_the_headers() -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = HotPath(Starlette(routes=[Route("/boom", boom)], exception_handlers=HANDLERS), {})
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
