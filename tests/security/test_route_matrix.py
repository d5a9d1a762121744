"""Roles and scopes, route by route: every route of the app x every kind of credential.

The table below is written from api.md section 1 (and the compat sections it points to). It
is checked against the app's own router, so a new route that is not in the table fails
``test_every_route_is_in_the_table`` until someone decides who may call it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tests.security.asgi import Answer, call
from tests.security.conftest import Credentials
from tidings.compat.opencast import CORS_PATHS as OPENCAST_CORS_PATHS
from tidings.config import Settings
from tidings.routes import ROUTES

KINDS = (
    "none",
    "wrong_password",
    "basic_viewer",
    "basic_admin",
    "token_viewer",
    "token_admin",
    "oauth_read",
    "oauth_write",
    "oauth_aggregation",
    "write_key",
    "consumer_key",
    "session_viewer",
    "session_admin",
)

OK, NO, FORBIDDEN = "ok", 401, 403
#: A dashboard page's "who are you?": a redirect to the login form.
LOGIN = "login"


def _policy(
    ok: set[str], forbidden: set[str] = frozenset(), no: str | int = NO
) -> dict[str, str | int]:
    return {k: OK if k in ok else FORBIDDEN if k in forbidden else no for k in KINDS}


USERS = {"basic_viewer", "basic_admin", "token_viewer", "token_admin"}
ADMINS = {"basic_admin", "token_admin"}
OAUTH = {"oauth_read", "oauth_write", "oauth_aggregation"}
SESSIONS = {"session_viewer", "session_admin"}

#: Anyone; credentials are ignored (the route is public, or its capability is in the body or
#: the URL: an Opencast adopter key, a Microticks session token, the edX webhook secret).
OPEN = {k: OK for k in KINDS}
#: Readers: users of either role (Basic or API token) and OAuth2 tokens with scope read.
READ = _policy(USERS | {"oauth_read"}, {"oauth_write", "oauth_aggregation"})
#: Readers, and OAuth2 tokens with scope aggregation.
AGGREGATE = _policy(USERS | {"oauth_read", "oauth_aggregation"}, {"oauth_write"})
#: The Tracking API's aggregate route asks for scope aggregation exactly.
AGGREGATION_SCOPE = _policy(USERS | {"oauth_aggregation"}, {"oauth_read", "oauth_write"})
#: Admins only.
ADMIN = _policy(ADMINS, (USERS - ADMINS) | OAUTH)
#: Ingest: a source write key or an OAuth2 token with scope write. A Basic username is taken
#: as a write key (the Segment convention), so a user's Basic login is an unknown key: 401.
INGEST = _policy(
    {"write_key", "oauth_write"}, {"token_viewer", "token_admin", "oauth_read", "oauth_aggregation"}
)
#: The Tracking API's track route: scope write (users and sources hold no scopes for it).
WRITE_SCOPE = _policy({"oauth_write"}, USERS | {"oauth_read", "oauth_aggregation"})
#: Microticks: a consumer key in the form starts a session; without one the original's
#: 400 "Invalid consumer_key" (seed-systems.md 4.2).
CONSUMER = _policy({"consumer_key"}, no=400)
#: OAuth2 token endpoints: client credentials (form or Basic); no other credential counts.
CLIENT = _policy({"oauth_client"})
#: Dashboard pages: a session cookie; header credentials do not log a browser in.
PAGE = _policy(SESSIONS, no=LOGIN)
#: Dashboard admin pages: an admin's session; a viewer's session sees 403.
ADMIN_PAGE = _policy({"session_admin"}, {"session_viewer"}, no=LOGIN)
#: The dashboard's data feeds (fetched by its scripts): a session, else 401.
PAGE_DATA = _policy(SESSIONS)
#: ``GET /sessions`` is the Microticks read API and, for a browser session, the page.
SESSIONS_ROUTE = _policy(USERS | {"oauth_read"} | SESSIONS, {"oauth_write", "oauth_aggregation"})
#: The OpenSlides-style routes read with a session cookie too (api.md 3.6).
LIVE_SYSTEM = _policy(USERS | {"oauth_read"} | SESSIONS, {"oauth_write", "oauth_aggregation"})
#: ... and acting (sending, applauding) needs a user: an OAuth2 client may read, not act.
LIVE_ACT = _policy(USERS | SESSIONS, OAUTH)

TABLE: dict[tuple[str, str], dict[str, str | int]] = {
    # native API
    ("POST", "/api/v1/events"): INGEST,
    ("GET", "/api/v1/events"): READ,
    ("DELETE", "/api/v1/events"): ADMIN,
    ("OPTIONS", "/api/v1/events"): OPEN,
    ("GET", "/api/v1/aggregate"): AGGREGATE,
    ("GET", "/api/v1/live"): READ,
    ("GET", "/api/v1/funnel"): AGGREGATE,
    ("GET", "/api/v1/retention"): AGGREGATE,
    ("GET", "/api/v1/persons"): AGGREGATE,
    ("GET", "/api/v1/persons/{person:path}"): AGGREGATE,
    ("GET", "/api/v1/web"): AGGREGATE,
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/metrics"): READ,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/tidings.js"): OPEN,
    # Opencast: writes by adopter key are open; collection reads are personal data
    ("POST", "/api/1.0/adopter"): OPEN,
    ("DELETE", "/api/1.0/adopter"): OPEN,
    ("GET", "/api/1.0/adopter"): READ,
    ("POST", "/api/1.0/statistic"): OPEN,
    ("DELETE", "/api/1.0/statistic"): OPEN,
    ("GET", "/api/1.0/statistic"): READ,
    ("GET", "/api/1.0/statistic/{key}"): READ,
    ("POST", "/api/1.0/tobira"): OPEN,
    ("DELETE", "/api/1.0/tobira"): OPEN,
    ("GET", "/api/1.0/tobira"): READ,
    ("GET", "/api/1.0/tobira/{key}"): READ,
    ("GET", "/api/1.0/adopter/{key}"): OPEN,
    ("PUT", "/api/1.0/adopter/{key}"): OPEN,
    ("GET", "/api/1.0/adopter/{key}/statistics_report"): OPEN,
    ("GET", "/api/1.0/adopter/{key}/error_event"): OPEN,
    ("POST", "/api/1.0/statistics_report"): OPEN,
    ("GET", "/api/1.0/statistics_report"): READ,
    ("GET", "/api/1.0/statistics_report/{id}"): READ,
    ("POST", "/api/1.0/error_event"): OPEN,
    ("GET", "/api/1.0/error_event"): READ,
    ("GET", "/api/1.0/error_event/{id}"): READ,
    **{("OPTIONS", path): OPEN for path in OPENCAST_CORS_PATHS},
    # Tracking API
    ("POST", "/o/token/"): CLIENT,
    ("POST", "/o/revoke_token/"): CLIENT,
    ("POST", "/api/track/"): WRITE_SCOPE,
    # Other methods: DRF's order, the scope check (read for safe methods) and then 405.
    ("GET", "/api/track/"): READ,
    ("PUT", "/api/track/"): WRITE_SCOPE,
    ("PATCH", "/api/track/"): WRITE_SCOPE,
    ("DELETE", "/api/track/"): WRITE_SCOPE,
    ("OPTIONS", "/api/track/"): READ,
    ("GET", "/api/events/{namespace}/{name}"): AGGREGATION_SCOPE,
    # Segment
    **{
        ("POST", f"/v1/{p}"): INGEST
        for p in ("batch", "import", "track", "identify", "page", "screen", "group", "alias")
    },
    **{
        ("OPTIONS", f"/v1/{p}"): OPEN
        for p in ("batch", "import", "track", "identify", "page", "screen", "group", "alias")
    },
    # edX
    ("POST", "/segmentio/event"): OPEN,
    ("GET", "/event"): INGEST,
    ("POST", "/event"): INGEST,
    ("OPTIONS", "/event"): OPEN,
    # OpenSlides-style
    ("GET", "/system/health"): OPEN,
    ("GET", "/system/autoupdate"): LIVE_SYSTEM,
    ("POST", "/system/autoupdate"): LIVE_SYSTEM,
    # With the OpenSlides mode off: other methods are 405 and the projector 404 for anyone.
    **{(m, "/system/autoupdate"): OPEN for m in ("PUT", "PATCH", "DELETE")},
    **{(m, "/system/health"): OPEN for m in ("POST", "PUT", "PATCH", "DELETE")},
    **{(m, "/system/projector"): OPEN for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    ("GET", "/api/v1/live/counters"): LIVE_SYSTEM,
    ("POST", "/api/v1/live/counters"): LIVE_SYSTEM,
    ("GET", "/system/notify"): LIVE_SYSTEM,
    ("POST", "/system/notify"): LIVE_SYSTEM,
    ("GET", "/system/notify/send"): LIVE_ACT,
    ("POST", "/system/notify/send"): LIVE_ACT,
    ("GET", "/system/applause"): LIVE_ACT,
    ("POST", "/system/applause"): LIVE_ACT,
    # Microticks
    ("POST", "/sessions"): CONSUMER,
    ("GET", "/sessions"): SESSIONS_ROUTE,
    ("POST", "/sessions/stop"): OPEN,
    ("POST", "/events"): OPEN,
    ("GET", "/events"): READ,
    ("GET", "/dash"): OPEN,
    ("OPTIONS", "/sessions"): OPEN,
    ("OPTIONS", "/sessions/stop"): OPEN,
    ("OPTIONS", "/events"): OPEN,
    # dashboard
    # The matrix has a Microticks consumer, so strangers get the Microticks page at / and
    # sessions the overview (compat/microticks/home.py; without one it is PAGE).
    ("GET", "/"): OPEN,
    ("GET", "/login"): OPEN,
    ("POST", "/login"): OPEN,
    ("POST", "/logout"): PAGE,
    ("GET", "/explore"): PAGE,
    ("GET", "/explore.csv"): PAGE,
    ("GET", "/web"): PAGE,
    ("GET", "/live"): PAGE,
    ("GET", "/funnels"): PAGE,
    ("GET", "/retention"): PAGE,
    ("GET", "/people"): PAGE,
    ("GET", "/people/{person:path}"): PAGE,
    ("POST", "/people/erase"): ADMIN_PAGE,
    ("GET", "/opencast"): PAGE,
    ("GET", "/opencast/adopter"): ADMIN_PAGE,
    **{
        ("POST", f"/opencast/{action}"): ADMIN_PAGE
        for action in ("adopter", "adopter/delete", "statistic/delete", "record/delete")
    },
    ("GET", "/dashboard/data/overview"): PAGE_DATA,
    ("GET", "/dashboard/data/events"): PAGE_DATA,
    ("GET", "/dashboard/data/live"): PAGE_DATA,
    **{
        (method, f"/admin/{page}"): ADMIN_PAGE
        for page in ("sources", "users", "tokens", "clients", "consumers")
        for method in ("GET", "POST")
    },
    **{
        ("POST", f"/admin/{action}"): ADMIN_PAGE
        for action in (
            "sources/revoke",
            "sources/retention",
            "users/delete",
            "users/password",
            "tokens/revoke",
            "clients/delete",
            "consumers/deactivate",
        )
    },
    ("GET", "/static/{path}"): OPEN,
}

WEBHOOK_SECRET = "webhook-secret-for-the-matrix"

#: A sample for each path parameter.
PATH_VALUES = {
    "key": "adopter-key-1",
    "id": "1",
    "namespace": "n",
    "name": "e",
    "path": "dashboard.css",
    "person": "ada",
}


def app_routes() -> Iterator[tuple[str, str]]:
    """Every (method, path) the router serves; HEAD rides along with GET and is not listed."""
    for route in ROUTES:
        if isinstance(route, Mount):
            yield "GET", route.path + "/{path}"
            continue
        assert isinstance(route, Route), route
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, route.path


def test_every_route_is_in_the_table() -> None:
    served = set(app_routes())
    assert served - TABLE.keys() == set(), "routes without a policy: add them to TABLE"
    assert TABLE.keys() - served == set(), "policies for routes that do not exist"


def _request(
    method: str, template: str, kind: str, creds: Credentials
) -> tuple[str, str, dict[str, str], bytes]:
    # A converter (``{person:path}``) is routing detail, not a format spec.
    path = re.sub(r":\w+}", "}", template).format(**PATH_VALUES)
    headers = dict(creds.headers[kind])
    query: dict[str, str] = {}
    body = b""
    if template in ("/o/token/", "/o/revoke_token/"):
        form = {"grant_type": "client_credentials", "token": "x"}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(form).encode()
    elif template == "/sessions" and method == "POST":
        form = {"ts": "2026-01-01T00:00:00Z"}
        if kind == "consumer_key":
            form["consumer_key"] = creds.consumer_key
            headers.pop("Authorization", None)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(form).encode()
    elif template.startswith(("/admin/", "/logout", "/opencast/", "/people/")) and method == "POST":
        form = {}
        if kind in creds.sessions:
            form["csrf"] = creds.sessions[kind][1]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(form).encode()
    elif method in ("POST", "PUT", "DELETE", "PATCH"):
        headers["Content-Type"] = "application/json"
        body = json.dumps({"namespace": "n", "name": "e", "event": "e", "userId": "u"}).encode()
    if template == "/segmentio/event":
        query = {"key": WEBHOOK_SECRET}
    if template == "/api/v1/aggregate":
        query = {"namespace": "n", "name": "e"}
    return path, urlencode(query), headers, body


def _outcome(answer: Answer, want: str | int) -> str | int:
    """What happened, in the table's terms: LOGIN (sent to the login form), 401, 403, or
    OK (anything else but a server error: the request got past who-may-call, and a 4xx
    about its content is fine here). A numeric ``want`` is compared exactly."""
    assert answer.status < 500, f"server error {answer.status}"
    if answer.status == 303 and answer.headers.get("location", "").startswith("/login?next="):
        return LOGIN
    if answer.status in (401, 403) or (isinstance(want, int) and answer.status == want):
        return answer.status
    return OK


#: Logging out ends the session for good (server-side sessions), so those cases come last.
CASES = sorted(((m, p, k) for (m, p) in TABLE for k in KINDS), key=lambda c: (c[1] == "/logout", c))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(segmentio_webhook_secret=WEBHOOK_SECRET)


def test_every_route_answers_every_credential_as_the_table_says(
    client: TestClient, creds: Credentials
) -> None:
    wrong = []
    for method, template, kind in CASES:
        path, query, headers, body = _request(method, template, kind, creds)
        answer = call(client, method, path, query=query, headers=headers, body=body)
        want = TABLE[(method, template)][kind]
        got = _outcome(answer, want)
        if got == NO and "www-authenticate" not in answer.headers:
            wrong.append(f"{method} {template} as {kind}: 401 without WWW-Authenticate")
        if got != want:
            wrong.append(f"{method} {template} as {kind}: got {got}, want {want} ({answer.status})")
    assert not wrong, "\n".join(wrong)
