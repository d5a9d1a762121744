"""A list or aggregate for a source, namespace or name never seen says so: 200 with
``"unknown": [...]``; an answer whose filters were all seen has no such key."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_list_and_aggregate_name_what_was_never_seen(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    stored = client.post(
        "/api/v1/events",
        json={"namespace": "shop", "name": "buy"},
        headers={"X-Write-Key": write_key},
    )
    assert stored.status_code == 200
    asked = {"source": "nope", "namespace": "shop", "name": ["buy", "by"]}
    for path in ("/api/v1/events", "/api/v1/aggregate"):
        answer = client.get(path, params=asked, auth=viewer)
        assert answer.status_code == 200
        assert answer.json()["unknown"] == ["source:nope", "name:by"]
        typo = client.get(path, params={"namespace": "shpo", "name": "buy"}, auth=viewer)
        assert typo.json()["unknown"] == ["namespace:shpo"]
        seen = client.get(path, params={"source": "test", "namespace": "shop"}, auth=viewer)
        assert "unknown" not in seen.json()
