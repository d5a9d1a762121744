from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of, log_in

SECRET = re.compile(r'id="new-secret" class="secret-value">([^<]+)<')
CLIENT_ID = re.compile(r'id="new-client-id" class="secret-value">([^<]+)<')
GRANT = {"grant_type": "client_credentials"}


def test_admin_issues_an_api_token_once_and_revokes_it(client: TestClient, admin, viewer) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/tokens").text)
    made = client.post(
        "/admin/tokens", data={"csrf": token, "username": viewer[0], "label": "grafana"}
    )
    assert made.status_code == 201
    secret = SECRET.search(made.text).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/aggregate", headers=bearer).status_code == 200
    listing = client.get("/admin/tokens").text
    assert secret not in listing
    assert "grafana" in listing
    token_id = re.search(r'name="id" value="(\d+)"', listing).group(1)
    revoked = client.post("/admin/tokens/revoke", data={"csrf": token, "id": token_id})
    assert revoked.status_code == 200
    assert client.get("/api/v1/aggregate", headers=bearer).status_code == 401


def test_a_token_for_an_unknown_user_is_a_404_page(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/tokens").text)
    answer = client.post("/admin/tokens", data={"csrf": token, "username": "nobody"})
    assert answer.status_code == 404


def test_admin_registers_an_oauth_client_that_gets_tokens_then_deletes_it(
    client: TestClient, admin
) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/clients").text)
    made = client.post(
        "/admin/clients",
        data={"csrf": token, "name": "reports", "scope": ["read", "aggregation"]},
    )
    assert made.status_code == 201, made.text
    client_id = CLIENT_ID.search(made.text).group(1)
    secret = SECRET.search(made.text).group(1)
    creds = {**GRANT, "client_id": client_id, "client_secret": secret}
    granted = client.post("/o/token/", data=creds)
    assert granted.status_code == 200
    assert set(granted.json()["scope"].split()) == {"read", "aggregation"}
    assert secret not in client.get("/admin/clients").text
    gone = client.post("/admin/clients/delete", data={"csrf": token, "name": "reports"})
    assert gone.status_code == 200
    assert client.post("/o/token/", data=creds).status_code == 401


def test_a_client_needs_a_scope(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/clients").text)
    answer = client.post("/admin/clients", data={"csrf": token, "name": "empty"})
    assert answer.status_code == 400
    assert "scope" in answer.text
