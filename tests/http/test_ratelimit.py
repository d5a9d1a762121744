"""Rate limits over HTTP: 429 with Retry-After per credential and per anonymous IP."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tidings.config import Settings

EVENT = {"namespace": "n", "name": "e"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN[1],
        rate_limit=1,
        rate_limit_burst=3,
        anonymous_rate_limit=1,
        anonymous_rate_limit_burst=2,
    )


def test_a_write_key_over_its_limit_gets_429(client: TestClient, write_key: str) -> None:
    headers = {"X-Write-Key": write_key}
    statuses = [
        client.post("/api/v1/events", json=EVENT, headers=headers).status_code for _ in range(5)
    ]
    # One token a minute refills: nothing comes back within this test.
    assert statuses == [200, 200, 200, 429, 429]
    answer = client.post("/api/v1/events", json=EVENT, headers=headers)
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert answer.json()["code"] == "rate_limited"


def test_limits_are_per_credential(client: TestClient, write_key: str) -> None:
    for _ in range(5):
        client.post("/api/v1/events", json=EVENT, headers={"X-Write-Key": write_key})
    assert client.get("/api/v1/events", auth=ADMIN).status_code == 200


def test_failed_authentication_is_limited_per_ip(client: TestClient) -> None:
    statuses = [
        client.get("/api/v1/events", auth=("admin", "wrong-password")).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 429, 429]


def test_token_endpoint_failures_are_limited_per_ip(client: TestClient) -> None:
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    statuses = [client.post("/o/token/", data=form).status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]


def test_buckets_in_redis_are_shared_by_two_apps(tmp_path: Path) -> None:
    from tests.services import redis_url
    from tidings.app import create_app
    from tidings.core.auth import new_secret, secret_hash

    url = redis_url()
    shared = Settings(
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN[1],
        rate_limit=1,
        rate_limit_burst=2,
        rate_limit_url=url,
    )
    key = new_secret("wk_")
    with (
        TestClient(create_app(shared)) as first,
        TestClient(create_app(shared)) as second,
    ):
        first.app.state.runtime.storage.create_source("s", secret_hash(key), None)  # type: ignore[attr-defined]
        headers = {"X-Write-Key": key}
        statuses = [
            app.post("/api/v1/events", json=EVENT, headers=headers).status_code
            for app in (first, second, first, second)
        ]
    assert statuses == [200, 200, 429, 429]


def test_tracking_api_over_the_limit_answers_in_its_own_shape(client: TestClient) -> None:
    from tests.credentials import bearer, oauth_token

    # The token request takes one token of the client's bucket of three.
    headers = bearer(oauth_token(client, client.app.state.runtime, "write"))  # type: ignore[attr-defined]
    event = {"namespace": "a", "name": "b", "value": 1}
    statuses = [client.post("/api/track/", json=event, headers=headers) for _ in range(3)]
    assert [s.status_code for s in statuses] == [201, 201, 429]
    assert statuses[2].json()["detail"].startswith("Request was throttled.")
    assert "retry-after" in statuses[2].headers


def test_open_routes_are_limited_per_ip_but_health_probes_are_not(client: TestClient) -> None:
    statuses = [client.get("/openapi.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/docs").status_code == 429
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
