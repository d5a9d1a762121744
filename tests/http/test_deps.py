"""Who may call what: Basic users, API tokens, OAuth2 scopes, write keys, rate limits."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.credentials import api_token, bearer, oauth_token
from tidings.http.deps import Runtime
from tidings.storage import credentials

EVENT = {"namespace": "n", "name": "e", "value": 2, "timestamp": "2024-01-01T00:00:00Z"}
AGGREGATE = (
    "/api/v1/aggregate?namespace=n&name=e&granularity=total&fn=sum"
    "&from=2023-01-01T00:00:00Z&to=2025-01-01T00:00:00Z"
)


def test_no_credential_is_401_with_a_challenge(client: TestClient) -> None:
    for path in ("/api/v1/events", AGGREGATE, "/metrics"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_viewer_api_token_reads_like_its_user(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    headers = bearer(api_token(rt, viewer[0]))
    assert client.get("/api/v1/events", headers=headers).status_code == 200
    assert client.get(AGGREGATE, headers=headers).status_code == 200
    assert client.get("/metrics", headers=headers).status_code == 200


def test_a_revoked_api_token_is_401(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    token = api_token(rt, viewer[0])
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    (listed,) = credentials.list_api_tokens(rt.storage.engine, viewer[0])
    assert credentials.revoke_api_token(rt.storage.engine, listed.id)
    rt.auth.forget()
    answer = client.get("/api/v1/events", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_an_api_token_follows_its_user_being_deleted(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    token = api_token(rt, viewer[0])
    rt.storage.delete_user(viewer[0])
    rt.auth.forget()
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("scopes", "list_status", "aggregate_status"),
    [
        (("read",), 200, 200),
        (("aggregation",), 403, 200),
        (("write",), 403, 403),
    ],
)
def test_oauth_scopes_on_native_reads(
    client: TestClient,
    rt: Runtime,
    scopes: tuple[str, ...],
    list_status: int,
    aggregate_status: int,
) -> None:
    headers = bearer(oauth_token(client, rt, *scopes))
    assert client.get("/api/v1/events", headers=headers).status_code == list_status
    assert client.get(AGGREGATE, headers=headers).status_code == aggregate_status


def test_native_ingest_with_a_write_token_goes_to_the_clients_source(
    client: TestClient, rt: Runtime, admin: tuple[str, str]
) -> None:
    token = oauth_token(client, rt, "write")
    answer = client.post("/api/v1/events", json=EVENT, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    (event,) = client.get("/api/v1/events", auth=admin).json()["events"]
    (owner,) = credentials.list_clients(rt.storage.engine)
    assert event["source"] == f"oauth.{owner.name}"


def test_native_ingest_with_a_token_without_write_is_403(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    for token in (oauth_token(client, rt, "read", "aggregation"), api_token(rt, viewer[0])):
        answer = client.post("/api/v1/events", json=EVENT, headers=bearer(token))
        assert answer.status_code == 403
    assert rt.storage.count_events() == 0


def test_a_deleted_client_can_no_longer_write(client: TestClient, rt: Runtime) -> None:
    token = oauth_token(client, rt, "write")
    (owner,) = credentials.list_clients(rt.storage.engine)
    assert credentials.delete_client(rt.storage.engine, owner.name)
    rt.auth.forget()
    answer = client.post("/api/v1/events", json=EVENT, headers=bearer(token))
    assert answer.status_code == 401


def test_a_write_key_is_not_a_read_credential(client: TestClient, write_key: str) -> None:
    answer = client.get("/api/v1/events", headers=bearer(write_key))
    assert answer.status_code == 401
