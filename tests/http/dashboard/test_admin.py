from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of, log_in

SECRET = re.compile(r'id="new-secret" class="secret-value">([^<]+)<')


def test_admin_creates_a_source_sees_its_key_once_and_revokes_it(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/sources").text)
    created = client.post(
        "/admin/sources", data={"csrf": token, "name": "web", "retention_days": "30"}
    )
    assert created.status_code == 201
    key = SECRET.search(created.text).group(1)
    event = {"namespace": "app", "name": "open"}
    assert (
        client.post("/api/v1/events", json=event, headers={"X-Write-Key": key}).status_code == 200
    )
    listing = client.get("/admin/sources").text
    assert key not in listing
    assert 'value="30"' in listing
    changed = client.post(
        "/admin/sources/retention", data={"csrf": token, "name": "web", "retention_days": "7"}
    )
    assert changed.status_code == 200
    assert 'value="7"' in changed.text
    revoked = client.post("/admin/sources/revoke", data={"csrf": token, "name": "web"})
    assert revoked.status_code == 200
    assert (
        client.post("/api/v1/events", json=event, headers={"X-Write-Key": key}).status_code == 401
    )


def test_a_bad_source_name_is_a_400_page_naming_the_field(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/sources").text)
    answer = client.post("/admin/sources", data={"csrf": token, "name": "no spaces"})
    assert answer.status_code == 400
    assert "<code>name</code>" in answer.text
    answer = client.post(
        "/admin/sources", data={"csrf": token, "name": "ok", "retention_days": "-3"}
    )
    assert answer.status_code == 400
    assert "retention_days" in answer.text


def test_forms_without_csrf_change_nothing(client: TestClient, admin) -> None:
    log_in(client, *admin)
    answer = client.post("/admin/sources", data={"name": "web"})
    assert answer.status_code == 403
    assert "No sources yet" in client.get("/admin/sources").text


def test_admin_manages_users_and_cannot_delete_themself(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/users").text)
    made = client.post(
        "/admin/users",
        data={"csrf": token, "username": "ann", "password": "ann-password-1", "role": "viewer"},
    )
    assert made.status_code == 201
    assert "ann" in made.text
    short = client.post(
        "/admin/users", data={"csrf": token, "username": "bob", "password": "x", "role": "viewer"}
    )
    assert short.status_code == 400
    assert (
        client.post("/admin/users/delete", data={"csrf": token, "username": "admin"}).status_code
        == 403
    )
    gone = client.post("/admin/users/delete", data={"csrf": token, "username": "ann"})
    assert gone.status_code == 200
    assert ">ann<" not in gone.text


def test_a_viewer_gets_403_on_every_admin_page_and_no_admin_links(
    client: TestClient, viewer
) -> None:
    log_in(client, *viewer)
    for path in (
        "/admin/sources",
        "/admin/users",
        "/admin/tokens",
        "/admin/clients",
        "/admin/consumers",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/sources", data={"name": "x"}).status_code == 403
    assert 'href="/admin/' not in client.get("/").text
