"""The event the edX webhook stores is the original's legacy event, field for field
(edx-platform's 2014 ``track_segmentio_event``, seed-systems.md 2.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.compat.edx.webhook_sample import URL, USER_ID, sample, stored, webhook_settings
from tidings.config import Settings
from tidings.http.deps import Runtime
from tidings.storage import persons

LIBRARY = {"library": {"name": "unknown", "version": "unknown"}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return webhook_settings(tmp_path)


def _store(client: TestClient, **changes: Any) -> dict[str, Any]:
    """Send the sample with ``changes``; the one event stored."""
    answer = client.post(URL, json=sample(**changes), headers={"Host": "testserver"})
    assert answer.json() == {"committed": True}, answer.text
    [event] = stored(client)
    return event


def _properties(**fields: Any) -> dict[str, Any]:
    return {"event_type": "edx.test", "event": {}, **fields}


@pytest.mark.parametrize("course_id", ["foo/bar/baz", "course-v1:foo+bar+baz"])
@pytest.mark.parametrize("event_type", ["sentinel.event_type", ""])
def test_the_original_tests_expected_event(
    client: TestClient, rt: Runtime, course_id: str, event_type: str
) -> None:
    persons.identify(rt.storage.engine, str(USER_ID), None, {"username": "test-user"})
    properties = _properties(event_type=event_type, event={"foo": "bar"})
    properties["context"] = {"course_id": course_id}
    event = _store(client, properties=properties)
    assert event["source"] == "edx"
    assert event["namespace"] == "edx"
    # The core name falls back when the type is empty; the legacy event_type stays as sent.
    assert event["name"] == (event_type or "Did something")
    assert event["user_id"] == str(USER_ID)
    assert event["message_id"] == "qy52hwp4"
    assert event["timestamp"] == "2014-08-27T16:33:39.215000Z"
    assert event["properties"] == {
        "username": "test-user",
        "ip": "",
        "event_source": "mobile",
        "event_type": event_type,
        "event": {"foo": "bar"},
        "agent": "",
        "page": None,
        "host": "testserver",
    }
    assert event["context"] == {
        "user_id": USER_ID,
        "course_id": course_id,
        "org_id": "foo",
        "path": "/segmentio/event",
        "client": LIBRARY,
        "received_at": "2014-08-27T16:33:39.100000Z",
    }


def test_page_is_kept_from_properties(client: TestClient) -> None:
    event = _store(client, properties=_properties(page="Course Dashboard"))
    assert event["properties"]["page"] == "Course Dashboard"


def test_ip_comes_from_properties_not_the_segment_context(client: TestClient) -> None:
    event = _store(
        client,
        properties=_properties(ip="203.0.113.7", context={"ip": "198.51.100.1"}),
        context={**LIBRARY, "ip": "192.0.2.9"},
    )
    assert event["properties"]["ip"] == "203.0.113.7"
    # A context ip is lifted out of the context by the original, so it is not stored there.
    assert "ip" not in event["context"]
    assert event["context"]["client"]["ip"] == "192.0.2.9"


def test_no_properties_ip_stores_an_empty_ip(client: TestClient) -> None:
    event = _store(client, context={**LIBRARY, "ip": "192.0.2.9"})
    assert event["properties"]["ip"] == ""


def test_host_of_properties_context_overrides_the_request_host(client: TestClient) -> None:
    event = _store(client, properties=_properties(context={"host": "courses.example.test"}))
    assert event["properties"]["host"] == "courses.example.test"
    assert "host" not in event["context"]


def test_properties_context_client_overrides_the_segment_context(client: TestClient) -> None:
    event = _store(client, properties=_properties(context={"client": {"app": "edx-ios"}}))
    assert event["context"]["client"] == {"app": "edx-ios"}


def test_agent_is_empty_though_the_client_sent_one(client: TestClient) -> None:
    context = {**LIBRARY, "userAgent": "edX/2.0 (iPhone)"}
    event = _store(client, context=context)
    assert event["properties"]["agent"] == ""
    assert event["context"]["client"] == context


def test_without_a_segment_context_there_is_no_client(client: TestClient) -> None:
    event = _store(client, context={})
    assert "client" not in event["context"]


def test_empty_event_type_is_kept_and_the_name_falls_back(client: TestClient) -> None:
    event = _store(client, properties=_properties(event_type=""))
    assert event["properties"]["event_type"] == ""
    assert event["name"] == "Did something"


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"event": None, "name": "Course Outline", "action": "Screen"}, "Course Outline"),
        ({"event": None}, "unknown"),
    ],
)
def test_events_without_any_name_are_still_committed(
    client: TestClient, changes: dict[str, Any], name: str
) -> None:
    event = _store(client, properties=_properties(event_type=""), **changes)
    assert event["name"] == name
    assert event["properties"]["event_type"] == ""


def test_event_type_of_any_json_type_is_kept_as_sent(client: TestClient) -> None:
    event = _store(client, properties=_properties(event_type=42))
    assert event["properties"]["event_type"] == 42
    assert event["name"] == "Did something"


def test_properties_context_overlays_but_user_and_received_at_win(client: TestClient) -> None:
    extra = {
        "course_id": "invalid",
        "org_id": "theirs",
        "path": "/mobile/screen",
        "user_id": 99,
        "received_at": "then",
        "device": {"os": "iOS"},
    }
    event = _store(client, properties=_properties(context=extra))
    assert event["context"] == {
        "user_id": USER_ID,
        "course_id": "invalid",
        # No valid course: the org of properties.context stands, as in the original.
        "org_id": "theirs",
        "path": "/mobile/screen",
        "device": {"os": "iOS"},
        "client": LIBRARY,
        "received_at": "2014-08-27T16:33:39.100000Z",
    }


def test_fields_the_original_lifts_out_are_not_stored_in_context(client: TestClient) -> None:
    lifted = ["username", "session", "ip", "agent", "host", "referer", "accept_language"]
    extra = {field: "x" for field in [*lifted, "client_id"]}
    event = _store(client, properties=_properties(context=extra))
    assert set(event["context"]) == {
        "user_id",
        "course_id",
        "org_id",
        "path",
        "client",
        "received_at",
    }


def test_without_a_course_the_context_has_empty_course_and_org(client: TestClient) -> None:
    event = _store(client, properties=_properties())
    assert event["context"]["course_id"] == ""
    assert event["context"]["org_id"] == ""


def test_context_user_id_is_kept_as_sent(client: TestClient) -> None:
    event = _store(client, userId=" 10")
    assert event["context"]["user_id"] == " 10"
    assert event["user_id"] == "10"


@pytest.mark.parametrize("field", ["page", "ip"])
def test_nul_in_a_lifted_property_is_400_naming_it(client: TestClient, field: str) -> None:
    answer = client.post(URL, json=sample(properties=_properties(**{field: "a\x00b"})))
    assert answer.status_code == 400
    assert answer.json() == {
        "committed": False,
        "message": f"properties.{field} must not contain NUL characters",
    }
    assert stored(client) == []
