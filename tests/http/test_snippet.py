"""``GET /tidings.js`` serves the browser snippet."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_snippet_is_served_as_javascript_and_cacheable(client: TestClient) -> None:
    answer = client.get("/tidings.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age" in answer.headers["cache-control"]
    assert answer.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "sendBeacon" in answer.text
    assert "/api/v1/events" in answer.text


def test_snippet_answers_not_modified_for_its_etag(client: TestClient) -> None:
    etag = client.get("/tidings.js").headers["etag"]
    again = client.get("/tidings.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
