from __future__ import annotations

import orjson
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tidings.http.deps import Runtime


def _stored(client: TestClient) -> list[dict]:
    events: list[dict] = client.get("/api/v1/events", auth=ADMIN).json()["events"]
    return events


def test_form_post_answers_success_and_stores_browser_event(
    client: TestClient, write_key: str
) -> None:
    answer = client.post(
        "/event",
        data={"event_type": "page_close", "event": '{"a": 1}', "page": "https://x.test/p"},
        headers={"X-Write-Key": write_key, "User-Agent": "browser/1"},
    )
    assert answer.status_code == 200
    assert answer.text == "success"
    [event] = _stored(client)
    assert event["namespace"] == "test"
    assert event["name"] == "page_close"
    assert event["properties"] == {
        "event": {"a": 1},
        "page": "https://x.test/p",
        "event_source": "browser",
    }
    assert event["context"]["agent"] == "browser/1"


def test_write_key_in_query_string_and_get(client: TestClient, write_key: str) -> None:
    answer = client.get(
        "/event", params={"writeKey": write_key, "event_type": "seek", "event": "not json"}
    )
    assert answer.text == "success"
    [event] = _stored(client)
    assert event["properties"]["event"] == "not json"


def test_json_body_is_accepted(client: TestClient, write_key: str) -> None:
    answer = client.post(
        "/event",
        content=orjson.dumps({"event_type": "play", "event": {"t": 3}, "writeKey": write_key}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.text == "success"
    assert _stored(client)[0]["properties"]["event"] == {"t": 3}


def test_missing_key_is_401_and_missing_event_type_400(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    assert client.post("/event", data={"event_type": "x"}).status_code == 401
    answer = client.post("/event", data={"event": "{}"}, headers={"X-Write-Key": write_key})
    assert answer.status_code == 400
    assert "event_type" in answer.text
    assert rt.storage.count_events() == 0


def test_oversized_event_is_413(client: TestClient, write_key: str, rt: Runtime) -> None:
    answer = client.post(
        "/event",
        data={"event_type": "x", "event": "y" * 40_000},
        headers={"X-Write-Key": write_key},
    )
    assert answer.status_code == 413
    assert rt.storage.count_events() == 0
