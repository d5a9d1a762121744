from __future__ import annotations

from starlette.testclient import TestClient

from tidings.http.deps import Runtime


def _send(client: TestClient, key: str, **fields: object) -> None:
    event = {"namespace": "shop", "name": "buy", "timestamp": "2024-01-01T00:00:10Z", **fields}
    assert client.post("/api/v1/events", json=event, headers={"X-Write-Key": key}).is_success


def test_admin_erases_a_users_events_and_the_aggregate_follows(
    client: TestClient, write_key: str, admin: tuple[str, str], viewer: tuple[str, str]
) -> None:
    _send(client, write_key, user_id="u-1", value=50)
    _send(client, write_key, user_id="u-2", value=2)
    answer = client.delete("/api/v1/events", params={"user_id": "u-1"}, auth=admin)
    assert answer.status_code == 200
    assert answer.json() == {"deleted": 1, "person_records": 0, "ids": {"u-1": 1}}
    listed = client.get("/api/v1/events", auth=viewer).json()["events"]
    assert [e["user_id"] for e in listed] == ["u-2"]
    total = client.get(
        "/api/v1/aggregate",
        params={"namespace": "shop", "name": "buy", "fn": "max", "granularity": "total"},
        auth=viewer,
    ).json()
    assert [b["value"] for b in total["buckets"]] == [2.0]


def test_erasure_by_anonymous_id(
    client: TestClient, write_key: str, admin: tuple[str, str], rt: Runtime
) -> None:
    _send(client, write_key, anonymous_id="anon-1")
    answer = client.delete("/api/v1/events?anonymous_id=anon-1", auth=admin)
    assert answer.json()["deleted"] == 1 and rt.storage.count_events() == 0


def test_a_viewer_may_not_erase(client: TestClient, viewer: tuple[str, str]) -> None:
    assert client.delete("/api/v1/events?user_id=u", auth=viewer).status_code == 403
    assert client.delete("/api/v1/events?user_id=u").status_code == 401


def test_erasure_without_a_person_is_a_400_naming_the_field(
    client: TestClient, admin: tuple[str, str]
) -> None:
    answer = client.delete("/api/v1/events", auth=admin)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "user_id" in answer.text
    unknown = client.delete("/api/v1/events?nam=buy", auth=admin)
    assert unknown.status_code == 400 and "nam" in unknown.text
    empty = client.delete("/api/v1/events?source=", auth=admin)
    assert empty.status_code == 400 and "source" in empty.text


def test_admin_deletes_by_filter_and_aggregates_follow(
    client: TestClient, write_key: str, admin: tuple[str, str], viewer: tuple[str, str]
) -> None:
    _send(client, write_key, name="buy", value=5)
    _send(client, write_key, name="view", value=7)
    _send(client, write_key, name="buy", value=9, timestamp="2024-01-02T00:00:00Z")
    answer = client.delete(
        "/api/v1/events",
        params={"name": "buy", "from": "2024-01-01T00:00:00Z", "to": "2024-01-01T12:00:00Z"},
        auth=admin,
    )
    assert answer.json() == {"deleted": 1}
    day = client.get(
        "/api/v1/aggregate",
        params={
            "namespace": "shop",
            "name": "buy",
            "fn": "sum",
            "granularity": "day",
            "from": "2024-01-01T00:00:00Z",
            "to": "2024-01-03T00:00:00Z",
        },
        auth=viewer,
    ).json()
    assert [(b["value"], b["count"]) for b in day["buckets"]] == [(9.0, 1)]


def test_admin_deletes_by_a_property_and_aggregates_follow(
    client: TestClient, write_key: str, admin: tuple[str, str], viewer: tuple[str, str]
) -> None:
    _send(client, write_key, value=5, properties={"plan": "pro"})
    _send(client, write_key, value=7, properties={"plan": "free"})
    _send(client, write_key, value=9, properties={"plan": "pro", "trial": True})
    _send(client, write_key, value=11)
    answer = client.delete(
        "/api/v1/events", params={"source": "test", "prop.plan": "pro"}, auth=admin
    )
    assert answer.status_code == 200 and answer.json() == {"deleted": 2}
    listed = client.get("/api/v1/events", auth=viewer).json()["events"]
    assert sorted(e["value"] for e in listed) == [7.0, 11.0]
    total = client.get(
        "/api/v1/aggregate",
        params={"namespace": "shop", "name": "buy", "fn": "sum", "granularity": "total"},
        auth=viewer,
    ).json()
    assert [(b["value"], b["count"]) for b in total["buckets"]] == [(18.0, 2)]
    # A property filter alone is a filter; an empty property name is a 400 naming it.
    assert client.delete("/api/v1/events?prop.plan=free", auth=admin).json() == {"deleted": 1}
    empty = client.delete("/api/v1/events?prop.=x", auth=admin)
    assert empty.status_code == 400 and "prop." in empty.text


def test_anonymous_id_cannot_be_combined_with_filters(
    client: TestClient, admin: tuple[str, str]
) -> None:
    mixed = client.delete("/api/v1/events?source=test&anonymous_id=a", auth=admin)
    assert mixed.status_code == 400 and "anonymous_id" in mixed.text


def test_erasure_removes_the_person_record_too(
    client: TestClient, write_key: str, admin: tuple[str, str], rt: Runtime
) -> None:
    from tidings.storage import persons

    persons.identify(rt.storage.engine, "u-9", None, {"email": "a@example.org"})
    _send(client, write_key, user_id="u-9")
    answer = client.delete("/api/v1/events?user_id=u-9", auth=admin)
    assert answer.json()["deleted"] == 1 and answer.json()["person_records"] >= 1
    assert persons.get_person(rt.storage.engine, "u-9") is None


def test_erasing_a_user_erases_the_events_of_its_linked_ids_and_says_how_many_of_each(
    client: TestClient, write_key: str, admin: tuple[str, str], viewer: tuple[str, str]
) -> None:
    headers = {"X-Write-Key": write_key}
    # Browsing anonymously, then signing in: the early events name only the device.
    _send(client, write_key, anonymous_id="device-1", name="view")
    identify = {"type": "identify", "userId": "u-1", "anonymousId": "device-1"}
    assert client.post("/v1/identify", json=identify, headers=headers).status_code == 200
    track = {"type": "track", "anonymousId": "device-1", "event": "buy"}
    assert client.post("/v1/track", json=track, headers=headers).status_code == 200
    _send(client, write_key, anonymous_id="device-1", name="view")  # native: no user id
    _send(client, write_key, user_id="u-2")
    answer = client.delete("/api/v1/events?user_id=u-1", auth=admin)
    assert answer.status_code == 200
    assert answer.json() == {
        "deleted": 4,
        "person_records": 2,
        "ids": {"u-1": 2, "device-1": 2},
    }
    listed = client.get("/api/v1/events", auth=viewer).json()["events"]
    assert [e["user_id"] for e in listed] == ["u-2"]
