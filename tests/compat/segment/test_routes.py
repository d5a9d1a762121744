from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from starlette.testclient import TestClient

from tidings.app import create_app
from tidings.compat.segment.routes import segment_error
from tidings.config import Settings
from tidings.core.auth import new_secret, secret_hash
from tidings.errors import Overloaded, RateLimited, TidingsError, TooLarge, Unavailable
from tidings.http.deps import Runtime
from tidings.model.timeparse import parse_timestamp
from tidings.storage import persons


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _events(client: TestClient, viewer: tuple[str, str], **params: str) -> list[dict]:
    answer = client.get("/api/v1/events", params=params, auth=viewer)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def test_track_with_basic_key_answers_exactly_success_and_maps_fields(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    answer = client.post(
        "/v1/track",
        json={
            "userId": "u1",
            "event": "Order Completed",
            "properties": {"total": 30, "value": 2.5},
            "timestamp": "2026-01-02T03:04:05.123Z",
            "messageId": "m-1",
        },
        headers=_basic(write_key),
    )
    assert answer.status_code == 200
    assert answer.content == b'{"success":true}'
    assert answer.headers["content-type"] == "application/json"
    [event] = _events(client, viewer)
    assert event["namespace"] == "test"
    assert event["name"] == "Order Completed"
    assert event["properties"] == {"total": 30, "value": 2.5}
    assert event["value"] == 2.5
    assert event["user_id"] == "u1"
    assert event["message_id"] == "m-1"
    assert event["timestamp"] == "2026-01-02T03:04:05.123000Z"


@pytest.mark.parametrize("how", ["basic", "bearer", "body"])
def test_write_key_is_taken_from_basic_bearer_or_body(
    client: TestClient, write_key: str, rt: Runtime, how: str
) -> None:
    message: dict[str, object] = {"userId": "u", "event": "e"}
    headers: dict[str, str] = {}
    if how == "basic":
        headers = _basic(write_key)
    elif how == "bearer":
        headers = {"Authorization": f"Bearer {write_key}"}
    else:
        message["writeKey"] = write_key
    assert client.post("/v1/track", json=message, headers=headers).status_code == 200
    assert rt.storage.count_events() == 1


def test_missing_or_wrong_key_is_401_in_segment_error_shape(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    for headers in ({}, _basic("wk_wrong")):
        answer = client.post("/v1/track", json={"userId": "u", "event": "e"}, headers=headers)
        assert answer.status_code == 401
        assert set(answer.json()) == {"code", "message"}
    assert rt.storage.count_events() == 0


def test_gzip_batch_with_every_type_is_stored_and_people_updated(
    client: TestClient, write_key: str, rt: Runtime, viewer: tuple[str, str]
) -> None:
    batch = {
        "batch": [
            {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"plan": "pro"}},
            {"type": "identify", "userId": "u1", "traits": {"email": "u1@example.org"}},
            {"type": "track", "userId": "u1", "event": "Signed Up"},
            {"type": "page", "userId": "u1", "name": "Home", "properties": {"path": "/"}},
            {"type": "screen", "anonymousId": "a1", "name": "Settings"},
            {"type": "group", "userId": "u1", "groupId": "g1", "traits": {"name": "Acme"}},
            {"type": "alias", "previousId": "old-id", "userId": "u1"},
        ],
        "writeKey": write_key,
    }
    answer = client.post(
        "/v1/batch",
        content=gzip.compress(orjson.dumps(batch)),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    events = _events(client, viewer)
    assert [e["name"] for e in events] == [
        "identify",
        "identify",
        "Signed Up",
        "page",
        "screen",
        "group",
        "alias",
    ]
    assert events[3]["properties"] == {"path": "/", "name": "Home"}
    assert events[4]["properties"] == {"name": "Settings"}
    engine = rt.storage.engine
    person = persons.get_person(engine, "u1")
    assert person is not None
    assert person.traits == {"plan": "pro", "email": "u1@example.org"}
    assert persons.resolve_aliases(engine, ["a1", "old-id"]) == {"a1": "u1", "old-id": "u1"}
    assert persons.group_traits(engine, "g1") == {"name": "Acme"}
    assert persons.group_member_ids(engine, "g1") == ["u1"]


def test_anonymous_events_are_attributed_to_the_linked_user(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    headers = _basic(write_key)
    client.post("/v1/identify", json={"userId": "u9", "anonymousId": "anon-9"}, headers=headers)
    client.post("/v1/track", json={"anonymousId": "anon-9", "event": "Clicked"}, headers=headers)
    [track] = _events(client, viewer, name="Clicked")
    assert (track["user_id"], track["anonymous_id"]) == ("u9", "anon-9")


def test_an_identify_links_the_anonymous_events_after_it_in_the_same_batch(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    batch = [
        {"type": "track", "anonymousId": "anon-b", "event": "Before"},
        {"type": "identify", "userId": "u-b", "anonymousId": "anon-b"},
        {"type": "track", "anonymousId": "anon-b", "event": "After"},
        {"type": "page", "anonymousId": "old-b", "name": "Home"},
        {"type": "alias", "previousId": "old-b", "userId": "u-b"},
        {"type": "screen", "anonymousId": "old-b", "name": "Settings"},
    ]
    answer = client.post("/v1/batch", json={"batch": batch}, headers=_basic(write_key))
    assert answer.content == b'{"success":true}'
    stored = [(e["name"], e["user_id"]) for e in _events(client, viewer)]
    # In order: a message sees the links made by the messages before it, not after it.
    assert stored == [
        ("Before", None),
        ("identify", "u-b"),
        ("After", "u-b"),
        ("page", None),
        ("alias", "u-b"),
        ("screen", "u-b"),
    ]


def test_an_alias_in_a_batch_carries_the_ids_linked_to_the_previous_id(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    headers = _basic(write_key)
    client.post("/v1/identify", json={"userId": "old-c", "anonymousId": "anon-c"}, headers=headers)
    batch = [
        {"type": "alias", "previousId": "old-c", "userId": "new-c"},
        {"type": "track", "anonymousId": "anon-c", "event": "Later"},
    ]
    assert client.post("/v1/batch", json={"batch": batch}, headers=headers).status_code == 200
    [later] = _events(client, viewer, name="Later")
    assert later["user_id"] == "new-c"


def test_a_bad_message_in_a_batch_is_dropped_counted_and_logged_and_the_rest_stored(
    client: TestClient,
    write_key: str,
    viewer: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = [
        {"type": "track", "userId": "u", "event": "Kept"},
        {"type": "track", "userId": "u"},
        {"type": "x", "userId": "u"},
        "not a message",
        {"type": "identify", "userId": "u-d", "traits": {"plan": "pro"}},
    ]
    with caplog.at_level("WARNING", logger="tidings.segment"):
        answer = client.post("/v1/batch", json={"batch": batch}, headers=_basic(write_key))
    assert answer.status_code == 200
    assert answer.content == b'{"success":true}'
    assert [e["name"] for e in _events(client, viewer)] == ["Kept", "identify"]
    logged = [r.getMessage() for r in caplog.records if r.name == "tidings.segment"]
    assert len(logged) == 3
    assert "message 1 dropped: batch.1.event is required" in logged[0]
    assert "batch.2.type" in logged[1] and "batch.3" in logged[2]
    metrics = client.get("/metrics", auth=viewer).text
    assert 'tidings_messages_dropped_total{field="event"} 1.0' in metrics
    assert 'tidings_messages_dropped_total{field="type"} 1.0' in metrics


def test_a_batch_of_only_bad_messages_answers_success_and_stores_nothing(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    batch = [{"type": "track", "userId": "u", "event": ""}, {"type": "alias", "userId": "u"}]
    answer = client.post("/v1/batch", json={"batch": batch}, headers=_basic(write_key))
    assert answer.content == b'{"success":true}'
    assert rt.storage.count_events() == 0
    assert persons.get_person(rt.storage.engine, "u") is None


def test_retry_with_same_message_id_is_stored_once(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    body = {"batch": [{"type": "track", "userId": "u", "event": "e", "messageId": "dup-1"}]}
    for _ in range(3):
        answer = client.post("/v1/batch", json=body, headers=_basic(write_key))
        assert answer.json() == {"success": True}
    assert rt.storage.count_events() == 1


def test_sent_at_corrects_client_clock_skew(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    # The client's clock is one hour fast: it says it sent the batch an hour from now.
    now = datetime.now(UTC)
    fast = now + timedelta(hours=1)
    happened = fast - timedelta(seconds=10)
    body = {
        "batch": [
            {
                "type": "track",
                "userId": "u",
                "event": "e",
                "originalTimestamp": happened.isoformat(),
            }
        ],
        "sentAt": fast.isoformat(),
    }
    client.post("/v1/batch", json=body, headers=_basic(write_key))
    [event] = _events(client, viewer)
    stored = parse_timestamp(event["timestamp"])
    received = parse_timestamp(event["received_at"])
    # event time = originalTimestamp + (received_at - sentAt): ten seconds before arrival.
    assert stored == received - 10_000_000


def test_timestamp_without_sent_at_is_kept_and_absent_time_is_server_time(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    headers = _basic(write_key)
    client.post(
        "/v1/track",
        json={"userId": "u", "event": "a", "originalTimestamp": "2020-05-06T07:08:09Z"},
        headers=headers,
    )
    client.post("/v1/track", json={"userId": "u", "event": "b"}, headers=headers)
    first, second = _events(client, viewer)
    assert first["timestamp"] == "2020-05-06T07:08:09.000000Z"
    assert second["timestamp"] == second["received_at"]


def test_context_namespace_overrides_the_source_name(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    client.post(
        "/v1/track",
        json={"userId": "u", "event": "e", "context": {"namespace": "Frontend", "ip": "1.2.3.4"}},
        headers=_basic(write_key),
    )
    [event] = _events(client, viewer)
    assert event["namespace"] == "Frontend"
    assert event["context"] == {"namespace": "Frontend", "ip": "1.2.3.4"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/track", {"userId": "u"}, "event"),
        ("/v1/track", {"event": "e"}, "userId"),
        ("/v1/track", {"userId": "u", "event": "e", "properties": [1]}, "properties"),
        ("/v1/track", {"userId": "u", "event": "e", "timestamp": "yesterday"}, "timestamp"),
        ("/v1/group", {"userId": "u"}, "groupId"),
        ("/v1/alias", {"userId": "u"}, "previousId"),
        ("/v1/batch", {"batch": "no"}, "batch"),
        ("/v1/batch", {"batch": [], "sentAt": "yesterday"}, "batch"),
        (
            "/v1/batch",
            {"batch": [{"type": "track", "userId": "u", "event": "e"}], "sentAt": "yesterday"},
            "sentAt",
        ),
    ],
)
def test_bad_messages_are_400_naming_the_field_and_store_nothing(
    client: TestClient, write_key: str, rt: Runtime, path: str, body: dict, field: str
) -> None:
    answer = client.post(path, json=body, headers=_basic(write_key))
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "invalid"
    assert field in error["message"]
    assert rt.storage.count_events() == 0


def test_malformed_json_is_400(client: TestClient, write_key: str) -> None:
    answer = client.post(
        "/v1/track",
        content=b"{nope",
        headers={**_basic(write_key), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "body" in answer.json()["message"]


def test_limits_are_32_kib_per_event_and_512_kib_per_batch(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    big = {"type": "track", "userId": "u", "event": "e", "properties": {"x": "y" * 33_000}}
    single = client.post("/v1/track", json=big, headers=_basic(write_key))
    assert single.status_code == 413
    assert single.json()["code"] == "too_large"
    in_batch = client.post("/v1/batch", json={"batch": [big]}, headers=_basic(write_key))
    assert in_batch.status_code == 413
    assert "batch.0" in in_batch.json()["message"]
    small = {"type": "track", "userId": "u", "event": "e", "properties": {"x": "y" * 20_000}}
    whole = client.post("/v1/batch", json={"batch": [small] * 30}, headers=_basic(write_key))
    assert whole.status_code == 413
    ok = client.post("/v1/batch", json={"batch": [small] * 20}, headers=_basic(write_key))
    assert ok.status_code == 200
    assert rt.storage.count_events() == 20


def test_import_is_a_batch_endpoint(client: TestClient, write_key: str, rt: Runtime) -> None:
    body = {"batch": [{"type": "track", "userId": "u", "event": "e", "timestamp": "2019-01-01"}]}
    assert client.post("/v1/import", json=body, headers=_basic(write_key)).status_code == 200
    assert rt.storage.count_events() == 1


def test_message_id_dedup_holds_across_a_restart(settings: Settings) -> None:
    body = {"userId": "u", "event": "e", "messageId": "survives-restart"}
    for _ in range(2):
        with TestClient(create_app(settings)) as client:
            runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
            if not runtime.storage.list_sources():
                key = new_secret("wk_")
                runtime.storage.create_source("test", secret_hash(key), None)
            answer = client.post("/v1/track", json=body, headers=_basic(key))
            assert answer.json() == {"success": True}
            count = runtime.storage.count_events()
    assert count == 1


@pytest.mark.parametrize(
    ("error", "status", "header"),
    [
        (Overloaded("write queue is full", retry_after=2), 503, ("retry-after", "2")),
        (Unavailable("stopping"), 503, ("retry-after", "1")),
        (TooLarge("big"), 413, None),
        (RateLimited(3), 429, ("retry-after", "3")),
    ],
)
def test_errors_have_the_segment_shape_with_status_and_headers(
    error: TidingsError, status: int, header: tuple[str, str] | None
) -> None:
    response = segment_error(error)
    assert response.status_code == status
    assert orjson.loads(response.body) == {"code": error.code, "message": error.detail}
    if header is not None:
        assert response.headers[header[0]] == header[1]


def test_browser_sdks_may_post_from_any_origin(client: TestClient, write_key: str) -> None:
    preflight = client.options(
        "/v1/batch",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    # Browser SDKs send text/plain (a "simple" request) with the key in the body.
    answer = client.post(
        "/v1/track",
        content=orjson.dumps({"userId": "u", "event": "e", "writeKey": write_key}),
        headers={"Origin": "https://shop.example", "Content-Type": "text/plain"},
    )
    assert answer.json() == {"success": True}
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_person_writes_commit_with_the_events_or_not_at_all(
    client: TestClient, write_key: str, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    identify = {"type": "identify", "userId": "u7", "traits": {"plan": "pro"}, "messageId": "i-7"}
    monkeypatch.setattr(persons, "identify_in", unreachable)
    answer = client.post("/v1/batch", json={"batch": [identify]}, headers=_basic(write_key))
    assert answer.status_code == 503
    assert answer.json()["code"] == "unavailable"
    assert rt.storage.count_events() == 0  # the identify event did not commit without its person
    monkeypatch.undo()
    # The client's retry stores both, in one commit, and is answered from it.
    answer = client.post("/v1/batch", json={"batch": [identify]}, headers=_basic(write_key))
    assert answer.content == b'{"success":true}'
    assert rt.storage.count_events() == 1
    person = persons.get_person(rt.storage.engine, "u7")
    assert person is not None and person.traits == {"plan": "pro"}


def test_nan_and_infinity_from_pythons_json_are_null_and_the_batch_is_kept(
    client: TestClient, write_key: str, viewer: tuple[str, str]
) -> None:
    nan, inf = float("nan"), float("inf")
    batch = {
        "batch": [
            {"type": "track", "userId": "u", "event": "e", "properties": {"ratio": nan}},
            {"type": "identify", "userId": "u", "traits": {"score": inf}},
            {"type": "page", "userId": "u", "name": "Home", "context": {"fps": -inf}},
        ],
        "context": {"load": nan},
    }
    body = json.dumps(batch).encode()
    answer = client.post(
        "/v1/batch",
        content=gzip.compress(body),
        headers={**_basic(write_key), "Content-Encoding": "gzip"},
    )
    assert answer.content == b'{"success":true}', answer.text
    track, identify, page = _events(client, viewer)
    assert track["properties"] == {"ratio": None}
    assert identify["properties"] == {"score": None}
    assert page["context"] == {"load": None, "fps": None}
    # Elsewhere a non-finite token still makes the body invalid JSON.
    bad = json.dumps({"batch": [{"type": "track", "userId": "u", "event": "e", "timestamp": nan}]})
    refused = client.post("/v1/batch", content=bad, headers=_basic(write_key))
    assert refused.status_code == 400 and "batch.0.timestamp" in refused.json()["message"]
