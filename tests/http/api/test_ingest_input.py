"""Native ingest refuses what its schema refuses: a body ``writeKey`` that is not a non-empty
string (even with the key in a header), empty ids, and times before 2000 or more than a day
ahead of the server, each a 400 naming the field; repeated JSON keys name the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tidings.http.deps import Runtime
from tidings.model.records import EventFilter

EVENT = {"namespace": "n", "name": "e"}


def _fields(answer: object) -> list[str]:
    return [e["field"] for e in answer.json()["errors"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("given", [5, "", None, ["k"], {"k": 1}])
@pytest.mark.parametrize("batch", [False, True])
def test_a_body_write_key_that_is_not_a_string_is_refused_even_with_a_header(
    client: TestClient, write_key: str, rt: Runtime, given: object, batch: bool
) -> None:
    body = {"events": [EVENT], "writeKey": given} if batch else {**EVENT, "writeKey": given}
    answer = client.post("/api/v1/events", json=body, headers={"X-Write-Key": write_key})
    assert answer.status_code == 400
    assert _fields(answer) == ["writeKey"]
    assert rt.storage.list_events(EventFilter(), 0, 10) == []


def test_a_body_write_key_alone_still_works(client: TestClient, write_key: str) -> None:
    answer = client.post("/api/v1/events", json={**EVENT, "writeKey": write_key})
    assert answer.status_code == 200


@pytest.mark.parametrize("field", ["message_id", "user_id", "anonymous_id", "session_id"])
def test_empty_ids_are_refused_as_the_schema_says(
    client: TestClient, write_key: str, field: str
) -> None:
    answer = client.post(
        "/api/v1/events", json={**EVENT, field: ""}, headers={"X-Write-Key": write_key}
    )
    assert answer.status_code == 400
    assert _fields(answer) == [field]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "when",
    [
        lambda now: now + timedelta(days=1, minutes=5),
        lambda now: now + timedelta(days=3650),
        lambda now: datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        lambda now: datetime(1970, 1, 2, tzinfo=UTC),
    ],
    ids=["a day and 5 min ahead", "ten years ahead", "just before 2000", "1970"],
)
def test_implausible_times_are_refused_naming_the_field(
    client: TestClient, write_key: str, rt: Runtime, when: object
) -> None:
    moment = when(datetime.now(UTC))  # type: ignore[operator]
    headers = {"X-Write-Key": write_key}
    single = client.post(
        "/api/v1/events", json={**EVENT, "timestamp": _iso(moment)}, headers=headers
    )
    assert single.status_code == 400
    assert _fields(single) == ["timestamp"]
    batch = client.post(
        "/api/v1/events",
        json={"events": [EVENT, {**EVENT, "timestamp": moment.timestamp()}]},
        headers=headers,
    )
    assert batch.status_code == 400
    assert _fields(batch) == ["events.1.timestamp"]
    assert rt.storage.list_events(EventFilter(), 0, 10) == []


@pytest.mark.parametrize(
    "when",
    [
        lambda now: now + timedelta(hours=23),
        lambda now: datetime(2000, 1, 1, tzinfo=UTC),
        lambda now: now - timedelta(days=3650),
    ],
    ids=["23 h ahead", "2000-01-01", "ten years ago"],
)
def test_plausible_times_are_stored(client: TestClient, write_key: str, when: object) -> None:
    moment = when(datetime.now(UTC))  # type: ignore[operator]
    answer = client.post(
        "/api/v1/events",
        json={**EVENT, "timestamp": _iso(moment)},
        headers={"X-Write-Key": write_key},
    )
    assert answer.status_code == 200, answer.text


def test_a_repeated_key_is_refused_naming_it(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    body = b'{"events": [{"namespace": "n", "name": "a", "name": "b"}]}'
    answer = client.post(
        "/api/v1/events",
        content=body,
        headers={"X-Write-Key": write_key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert _fields(answer) == ["name"]
    assert rt.storage.list_events(EventFilter(), 0, 10) == []
