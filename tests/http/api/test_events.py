from __future__ import annotations

import csv
import gzip
import io
import json

import httpx2
import orjson
import pytest
from starlette.testclient import TestClient

from tidings.http.deps import Runtime


def test_single_event_is_acknowledged_and_listed(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    answer = client.post(
        "/api/v1/events",
        json={"namespace": "shop", "name": "buy", "value": 3},
        headers={"X-Write-Key": write_key},
    )
    assert answer.status_code == 200
    assert answer.json() == {"accepted": 1, "duplicates": 0, "ids": [1]}
    listed = client.get("/api/v1/events", auth=viewer).json()
    assert [(e["namespace"], e["name"], e["value"]) for e in listed["events"]] == [
        ("shop", "buy", 3.0)
    ]


def test_repeated_message_id_is_stored_once(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    event = {"namespace": "shop", "name": "buy", "message_id": "m-1"}
    first = client.post("/api/v1/events", json=event, headers={"X-Write-Key": write_key})
    again = client.post("/api/v1/events", json=event, headers={"X-Write-Key": write_key})
    assert first.json()["ids"] == again.json()["ids"]
    assert again.json()["duplicates"] == 1
    assert rt.storage.count_events() == 1


def test_events_posted_again_with_their_listed_message_ids_are_duplicates(
    client: TestClient, write_key: str, viewer: tuple[str, str], rt: Runtime
) -> None:
    sent = [{"namespace": "shop", "name": "buy", "value": i} for i in range(3)]
    first = client.post("/api/v1/events", json={"events": sent}, headers={"X-Write-Key": write_key})
    listed = client.get("/api/v1/events", auth=viewer).json()["events"]
    resent = [
        {key: e[key] for key in ("namespace", "name", "value", "timestamp", "message_id")}
        for e in listed
    ]
    again = client.post(
        "/api/v1/events", json={"events": resent}, headers={"X-Write-Key": write_key}
    )
    assert again.json() == {"accepted": 0, "duplicates": 3, "ids": first.json()["ids"]}
    assert rt.storage.count_events() == 3


def _post(client: TestClient, key: str, body: bytes, **headers: str) -> httpx2.Response:
    return client.post(
        "/api/v1/events",
        content=body,
        headers={"X-Write-Key": key, "Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b'{"namespace": "a", "name": ', 400, "body"),
        (b"", 400, "body"),
        (b'"just a string"', 400, "body"),
        (b'{"namespace": "a", "name": "b", "value": "high"}', 400, "value"),
        (b'{"namespace": "a", "name": "b", "timestamp": [1]}', 400, "timestamp"),
        (
            b'{"events": [{"namespace": "a", "name": "b"}, {"namespace": 1, "name": "b"}]}',
            400,
            "events.1.namespace",
        ),
        (b'{"events": []}', 400, "events"),
        (b'{"events": {}}', 400, "events"),
        (b'{"events": [], "extra": 1}', 400, "extra"),
        (b'{"namespace": "a", "name": "b", "properties": {"x": "\\u0000"}}', 400, "properties"),
        (b'{"namespace": "a", "name": "\\ud800"}', 400, "body"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_stores_nothing(
    client: TestClient, write_key: str, rt: Runtime, body: bytes, status: int, field: str
) -> None:
    answer = _post(client, write_key, body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status
    assert field in [e["field"] for e in problem.get("errors", [])] or field in problem["detail"]
    assert rt.storage.count_events() == 0


def test_oversized_body_is_413_and_stores_nothing(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    event = {"namespace": "a", "name": "b", "properties": {"pad": "x" * 20_000}}
    answer = _post(client, write_key, orjson.dumps({"events": [event] * 60}))
    assert answer.status_code == 413
    assert rt.storage.count_events() == 0


def test_gzip_bodies_are_accepted_and_bombs_refused(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    body = gzip.compress(b'{"namespace": "a", "name": "zipped"}')
    assert _post(client, write_key, body, **{"Content-Encoding": "gzip"}).status_code == 200
    bomb = gzip.compress(b'{"namespace": "a", "name": "' + b"x" * 5_000_000 + b'"}')
    assert _post(client, write_key, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    broken = _post(client, write_key, b"\x1f\x8b\x08not gzip", **{"Content-Encoding": "gzip"})
    assert broken.status_code == 400
    assert rt.storage.count_events() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Write-Key": "wk_unknown"},
        {"Authorization": "Bearer wk_unknown"},
    ],
)
def test_ingest_without_a_valid_key_is_401(
    client: TestClient, write_key: str, rt: Runtime, headers: dict[str, str]
) -> None:
    answer = client.post("/api/v1/events", json={"namespace": "a", "name": "b"}, headers=headers)
    assert answer.status_code == 401
    assert "www-authenticate" in answer.headers
    assert rt.storage.count_events() == 0


def test_write_key_is_accepted_as_bearer_basic_and_body(client: TestClient, write_key: str) -> None:
    event = {"namespace": "a", "name": "b"}
    assert (
        client.post(
            "/api/v1/events", json=event, headers={"Authorization": f"Bearer {write_key}"}
        ).status_code
        == 200
    )
    assert client.post("/api/v1/events", json=event, auth=(write_key, "")).status_code == 200
    assert client.post("/api/v1/events", json={**event, "writeKey": write_key}).status_code == 200
    batch = {"writeKey": write_key, "events": [event]}
    assert client.post("/api/v1/events", json=batch).status_code == 200


def test_reading_needs_a_user_not_a_write_key(client: TestClient, write_key: str) -> None:
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/api/v1/events", auth=("admin", "wrong-password")).status_code == 401
    assert client.get("/api/v1/events", headers={"X-Write-Key": write_key}).status_code == 401


def test_list_filters_pages_and_exports(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    events = [
        {
            "namespace": "shop",
            "name": "view",
            "user_id": "u1",
            "properties": {"plan": "pro"},
            "timestamp": "2026-01-01T00:00:00Z",
        },
        {
            "namespace": "shop",
            "name": "buy",
            "user_id": "u1",
            "value": 9.5,
            "timestamp": "2026-01-02T00:00:00Z",
        },
        {
            "namespace": "blog",
            "name": "view",
            "user_id": "u2",
            "properties": {"plan": "free"},
            "timestamp": "2026-01-03T00:00:00Z",
        },
    ]
    assert (
        client.post(
            "/api/v1/events", json={"events": events}, headers={"X-Write-Key": write_key}
        ).status_code
        == 200
    )

    def names(query: str) -> list[str]:
        return [
            e["name"] for e in client.get(f"/api/v1/events?{query}", auth=viewer).json()["events"]
        ]

    assert names("namespace=shop") == ["view", "buy"]
    assert names("name=view") == ["view", "view"]
    assert names("user_id=u2") == ["view"]
    assert names("prop.plan=pro") == ["view"]
    assert names("from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z") == ["buy"]
    assert names("source=test&namespace=blog") == ["view"]
    first = client.get("/api/v1/events?limit=2", auth=viewer).json()
    rest = client.get(f"/api/v1/events?limit=2&after={first['next']}", auth=viewer).json()
    assert len(first["events"]) == 2 and len(rest["events"]) == 1 and rest["next"] is None
    ndjson = client.get("/api/v1/events?format=ndjson", auth=viewer)
    assert [orjson.loads(line)["name"] for line in ndjson.text.splitlines()] == [
        "view",
        "buy",
        "view",
    ]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/events?format=csv", auth=viewer).text))
    )
    assert [r["value"] for r in rows] == ["1.0", "9.5", "1.0"]
    assert rows[0]["timestamp"] == "2026-01-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "format=xml",
        "from=yesterday",
        "after=zz",
        "from=2026-02-01&to=2026-01-01",
    ],
)
def test_bad_list_parameters_are_400(
    client: TestClient, viewer: tuple[str, str], query: str
) -> None:
    answer = client.get(f"/api/v1/events?{query}", auth=viewer)
    assert answer.status_code == 400
    assert answer.json()["detail"]


def test_nan_and_infinity_from_pythons_json_are_null_in_properties_and_context(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    nan, inf = float("nan"), float("inf")
    event = {"namespace": "n", "name": "e", "properties": {"ratio": nan, "top": inf}}
    batch = {"events": [event, {**event, "context": {"fps": -inf}}]}
    headers = {"X-Write-Key": write_key, "Content-Type": "application/json"}
    answer = client.post("/api/v1/events", content=json.dumps(batch), headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2
    stored = client.get("/api/v1/events", auth=viewer).json()["events"]
    assert [e["properties"] for e in stored] == [{"ratio": None, "top": None}] * 2
    assert stored[1]["context"] == {"fps": None}
    # A non-finite value is still refused, naming it.
    bad = json.dumps({"namespace": "n", "name": "e", "value": nan})
    refused = client.post("/api/v1/events", content=bad, headers=headers)
    assert refused.status_code == 400 and "found at value" in refused.text
