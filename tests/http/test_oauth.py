"""``POST /o/token/`` and ``/o/revoke_token/``: the client-credentials grant."""

from __future__ import annotations

import base64

from starlette.testclient import TestClient

from tests.credentials import bearer, make_client
from tidings.http.deps import Runtime

GRANT = {"grant_type": "client_credentials"}


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_form_credentials_get_every_scope_of_the_client_when_none_is_asked(
    client: TestClient, rt: Runtime
) -> None:
    client_id, secret = make_client(rt, "aggregation", "read", "write")
    answer = client.post(
        "/o/token/", data={**GRANT, "client_id": client_id, "client_secret": secret}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == ["access_token", "expires_in", "token_type", "scope"]
    assert body["expires_in"] == 36000
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write aggregation"
    assert answer.headers["cache-control"] == "no-store"


def test_basic_credentials_and_a_narrower_scope(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "read", "write")
    answer = client.post(
        "/o/token/", data={**GRANT, "scope": "write"}, headers=_basic(client_id, secret)
    )
    assert answer.status_code == 200
    assert answer.json()["scope"] == "write"


def test_wrong_secret_is_invalid_client(client: TestClient, rt: Runtime) -> None:
    client_id, _ = make_client(rt, "read")
    answer = client.post(
        "/o/token/", data={**GRANT, "client_id": client_id, "client_secret": "nope"}
    )
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client"}
    assert "www-authenticate" in answer.headers


def test_unknown_client_and_missing_credentials_are_invalid_client(client: TestClient) -> None:
    for data in ({**GRANT, "client_id": "x", "client_secret": "y"}, GRANT):
        answer = client.post("/o/token/", data=data)
        assert answer.status_code == 401
        assert answer.json() == {"error": "invalid_client"}


def test_scope_beyond_the_client_is_invalid_scope(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "write")
    for scope in ("aggregation", "write bogus"):
        answer = client.post(
            "/o/token/",
            data={**GRANT, "scope": scope, "client_id": client_id, "client_secret": secret},
        )
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_scope"}


def test_other_grant_types_are_unsupported(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "write")
    for data in ({"grant_type": "password"}, {}):
        answer = client.post(
            "/o/token/", data={**data, "client_id": client_id, "client_secret": secret}
        )
        assert answer.status_code == 400
        assert answer.json() == {"error": "unsupported_grant_type"}


def test_tokens_are_random_and_stored_only_as_hashes(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "read")
    form = {**GRANT, "client_id": client_id, "client_secret": secret}
    first = client.post("/o/token/", data=form).json()["access_token"]
    second = client.post("/o/token/", data=form).json()["access_token"]
    assert first != second and len(first) >= 32
    with rt.storage.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM oauth_tokens"))
        clients = "\n".join(str(r) for r in conn.exec_driver_sql("SELECT * FROM oauth_clients"))
    assert first not in dump and second not in dump
    assert secret not in clients


def test_a_revoked_token_stops_working(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "read")
    form = {**GRANT, "client_id": client_id, "client_secret": secret}
    token = client.post("/o/token/", data=form).json()["access_token"]
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    answer = client.post(
        "/o/revoke_token/", data={"token": token, "client_id": client_id, "client_secret": secret}
    )
    assert answer.status_code == 200
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_refused(client: TestClient, rt: Runtime) -> None:
    client_id, secret = make_client(rt, "read")
    form = {**GRANT, "client_id": client_id, "client_secret": secret}
    token = client.post("/o/token/", data=form).json()["access_token"]
    with rt.storage.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE oauth_tokens SET expires_at = 0")
    rt.auth.forget()
    answer = client.get("/api/v1/events", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_an_oversized_token_request_is_refused(client: TestClient) -> None:
    answer = client.post("/o/token/", content=b"a=" + b"x" * 20000)
    assert answer.status_code == 413
    assert answer.json()["error"] == "invalid_request"
