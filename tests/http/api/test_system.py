from __future__ import annotations

from starlette.testclient import TestClient


def test_health_readiness_and_docs_are_open(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["storage"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/events" in spec["paths"]
    assert "/api/v1/aggregate" in spec["paths"]
    assert client.get("/docs").headers["content-type"].startswith("text/html")


def test_the_docs_explain_property_filters_where_they_apply(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/api/v1/events", "get"),
        ("/api/v1/events", "delete"),
        ("/api/v1/aggregate", "get"),
    ):
        assert "prop.KEY=VALUE" in paths[path][method]["description"], (path, method)
    assert "prop.KEY=VALUE" in client.get("/docs").text


def test_metrics_need_a_reader_and_count_ingest(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    assert client.get("/metrics").status_code == 401
    client.post(
        "/api/v1/events", json={"namespace": "a", "name": "b"}, headers={"X-Write-Key": write_key}
    )
    text = client.get("/metrics", auth=viewer).text
    assert "tidings_write_queue_depth" in text or "queue" in text
    assert "commit" in text


def test_responses_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/healthz").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
