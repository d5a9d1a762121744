"""The edX Segment webhook, mirroring the 2014 edx-platform segmentio test cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.compat.edx.webhook_sample import (
    SAMPLE,
    URL,
    USER_ID,
    sample,
    stored,
    webhook_settings,
)
from tests.conftest import ADMIN
from tidings.config import Settings
from tidings.http.deps import Runtime
from tidings.storage import persons


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return webhook_settings(tmp_path)


@pytest.fixture
def user(rt: Runtime) -> str:
    """The user the sample names, known to Tidings through an identify call."""
    persons.identify(rt.storage.engine, str(USER_ID), None, {"username": "test-user"})
    return "test-user"


def test_get_request_is_405(client: TestClient) -> None:
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize(
    "url", ["/segmentio/event", "/segmentio/event?key=", "/segmentio/event?key=nope"]
)
def test_missing_or_wrong_secret_is_401(client: TestClient, user: str, url: str) -> None:
    answer = client.post(url, json=SAMPLE)
    assert answer.status_code == 401
    assert answer.json() == {"committed": False, "message": "Unauthorized"}
    assert stored(client) == []


def test_no_secret_configured_is_401(tmp_path: Path) -> None:
    from tidings.app import create_app

    app = create_app(Settings(data_dir=str(tmp_path / "d"), admin_password=ADMIN[1]))
    with TestClient(app) as client:
        answer = client.post("/segmentio/event?key=", json=SAMPLE)
    assert answer.status_code == 401
    assert answer.json() == {"committed": False, "message": "Unauthorized"}


@pytest.mark.parametrize("channel", ["server", "browser", "", None])
def test_channels_not_allowed_are_ignored(client: TestClient, user: str, channel: Any) -> None:
    answer = client.post(URL, json=sample(channel=channel))
    assert answer.status_code == 200
    assert answer.json() == {"committed": False, "message": "Channel ignored"}
    assert stored(client) == []


@pytest.mark.parametrize("action", ["Identify", "Group", "Alias", "Page", "identify", None])
def test_actions_not_allowed_are_ignored(client: TestClient, user: str, action: Any) -> None:
    answer = client.post(URL, json=sample(action=action))
    assert answer.status_code == 200
    assert answer.json() == {"committed": False, "message": "Action ignored"}


@pytest.mark.parametrize("channel", ["Mobile", "MOBILE"])
def test_allowed_channels_are_case_insensitive(client: TestClient, channel: str) -> None:
    answer = client.post(URL, json=sample(channel=channel))
    assert answer.json() == {"committed": True}
    # The channel is stored as sent, as the original did.
    assert stored(client)[0]["properties"]["event_source"] == channel


def test_allowed_channel_setting_is_case_insensitive(tmp_path: Path) -> None:
    from tidings.app import create_app

    app = create_app(webhook_settings(tmp_path, segmentio_allowed_channels="Mobile"))
    with TestClient(app) as client:
        assert client.post(URL, json=SAMPLE).json() == {"committed": True}


def test_allowed_actions_are_case_insensitive(client: TestClient, user: str) -> None:
    for action in ("track", "SCREEN"):
        answer = client.post(URL, json=sample(action=action, messageId=action))
        assert answer.json() == {"committed": True}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"userId": None}, "Required user_id missing from context"),
        ({"userId": "foo"}, "Unable to parse userId as an integer"),
        ({"timestamp": None}, "Required timestamp field not found"),
        ({"receivedAt": None}, "Required receivedAt field not found"),
        (
            {"properties": {"event": {}}},
            "The event_type field must be specified in the properties dictionary",
        ),
    ],
)
def test_missing_or_bad_fields_are_400(
    client: TestClient, user: str, changes: dict[str, Any], message: str
) -> None:
    answer = client.post(URL, json=sample(**changes))
    assert answer.status_code == 400
    assert answer.json() == {"committed": False, "message": message}
    assert stored(client) == []


def test_checks_run_in_order_channel_before_user(client: TestClient) -> None:
    # No such user and a bad channel: the channel check comes first.
    answer = client.post(URL, json=sample(channel="server", userId=999))
    assert answer.json() == {"committed": False, "message": "Channel ignored"}


def test_event_type_names_the_event_when_given(client: TestClient, user: str) -> None:
    properties = {"event_type": "edx.video.played", "event": {}}
    client.post(URL, json=sample(properties=properties))
    [event] = stored(client)
    assert event["name"] == "edx.video.played"


def test_invalid_course_id_still_commits(client: TestClient, user: str) -> None:
    properties = {"event_type": "x", "event": {}, "context": {"course_id": "invalid"}}
    answer = client.post(URL, json=sample(properties=properties))
    assert answer.json() == {"committed": True}
    [event] = stored(client)
    # The original's request context gave every event an org_id, empty until a course parses.
    assert event["context"]["org_id"] == ""


def test_opaque_course_key_gives_org_id(client: TestClient, user: str) -> None:
    properties = {
        "event_type": "x",
        "event": {},
        "context": {"course_id": "course-v1:MITx+6.00x+2024"},
    }
    client.post(URL, json=sample(properties=properties))
    assert stored(client)[0]["context"]["org_id"] == "MITx"


def test_other_iso_timestamp_formats_are_parsed_not_500(client: TestClient, user: str) -> None:
    answer = client.post(
        URL, json=sample(timestamp="2014-08-27T16:33:39+00:00", receivedAt="2014-08-27 16:33:40")
    )
    assert answer.json() == {"committed": True}
    assert stored(client)[0]["timestamp"] == "2014-08-27T16:33:39.000000Z"


def test_unparsable_timestamp_is_400(client: TestClient, user: str) -> None:
    answer = client.post(URL, json=sample(timestamp="last tuesday"))
    assert answer.status_code == 400
    assert answer.json()["committed"] is False
    assert "timestamp" in answer.json()["message"]


def test_retried_webhook_is_stored_once(client: TestClient, user: str, rt: Runtime) -> None:
    for _ in range(2):
        assert client.post(URL, json=SAMPLE).json() == {"committed": True}
    assert rt.storage.count_events() == 1


def test_repeated_message_id_answers_as_accepted_and_keeps_the_first(
    client: TestClient, rt: Runtime
) -> None:
    """Segment retries a webhook call with the same messageId: the repeat gets the answer
    of an accepted event (what the original gave) and the first event stays the only one."""
    first = sample(properties={"event_type": "first", "event": {}})
    repeat = sample(properties={"event_type": "repeat", "event": {}})
    answers = [client.post(URL, json=body) for body in (first, repeat)]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {"committed": True}
    assert answers[0].content == answers[1].content
    [event] = stored(client)
    assert event["name"] == "first"
    # Another messageId is another event.
    client.post(URL, json=sample(messageId="other"))
    assert rt.storage.count_events() == 2


def test_malformed_json_is_400(client: TestClient, user: str) -> None:
    answer = client.post(URL, content=b"{", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["committed"] is False


def test_user_known_through_segment_identify_exists(
    client: TestClient, write_key: str, rt: Runtime
) -> None:
    client.post(
        "/v1/identify", json={"userId": "10", "traits": {"username": "bob"}, "writeKey": write_key}
    )
    assert client.post(URL, json=SAMPLE).json() == {"committed": True}
    assert stored(client)[-1]["properties"]["username"] == "bob"
