"""CORS on the ingest route: any origin may post with a write key; no credentials, no reads."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

ORIGIN = {"Origin": "https://shop.example"}


def test_preflight_allows_post_with_the_write_key_header_from_any_origin(
    client: TestClient,
) -> None:
    answer = client.options(
        "/api/v1/events",
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-write-key",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert "x-write-key" in answer.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in answer.headers


def test_text_plain_post_with_write_key_in_body_is_stored_and_readable_cross_origin(
    client: TestClient, write_key: str, admin
) -> None:
    body = json.dumps({"writeKey": write_key, "events": [{"namespace": "web", "name": "pageView"}]})
    answer = client.post(
        "/api/v1/events",
        content=body,
        headers={**ORIGIN, "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert answer.status_code == 200
    assert answer.json()["accepted"] == 1
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_rejections_are_readable_cross_origin_too(client: TestClient) -> None:
    answer = client.post("/api/v1/events", json={"name": "x"}, headers=ORIGIN)
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == "*"


def test_reading_events_is_not_opened_to_other_origins(client: TestClient, admin) -> None:
    answer = client.get("/api/v1/events", auth=admin, headers=ORIGIN)
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
