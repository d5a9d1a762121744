"""Who may open live streams: checked before any stream starts, so in-process is enough."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tidings.app import create_app
from tidings.config import Settings


def test_anonymous_callers_are_refused_unless_anonymous_read_is_on(client: TestClient) -> None:
    for path in ("/system/autoupdate", "/system/notify"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "auth_required"
    assert client.get("/api/v1/live").status_code == 401


def test_anonymous_read_still_needs_a_login_to_send(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), admin_password="admin-password-1").replace(
        anonymous_read=True
    )
    with TestClient(create_app(settings)) as client:
        applause = client.post("/system/applause")
        send = client.post("/system/notify/send", json={"channel_id": "a:0:1", "name": "x"})
    assert applause.status_code == 401
    assert applause.json()["error"]["msg"] == "You have to be logged in to send applause."
    assert send.status_code == 401


def test_wrong_credentials_are_refused_even_with_anonymous_read(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), admin_password="admin-password-1").replace(
        anonymous_read=True
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/system/autoupdate", auth=("admin", "wrong-password"))
    assert response.status_code == 401
