"""Which user ids the edX webhook takes: by default any integer (the platform's users never
pass through Tidings' identify), strictly only known users when the setting asks for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.compat.edx.webhook_sample import URL, sample, stored, webhook_settings
from tidings.config import Settings, load
from tidings.http.deps import Runtime
from tidings.storage import persons


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    strict = getattr(request, "param", False)
    return webhook_settings(tmp_path, segmentio_require_known_users=strict)


#: Runs a test with ``segmentio_require_known_users`` on.
strict = pytest.mark.parametrize("settings", [True], indirect=True, ids=["strict"])


def _known(rt: Runtime, user_id: str, traits: dict[str, Any]) -> None:
    persons.identify(rt.storage.engine, user_id, None, traits)


@pytest.mark.parametrize("user_id", [12345, "12345", " 12345 ", -7])
def test_unknown_integer_user_is_committed_with_an_empty_username(
    client: TestClient, user_id: Any
) -> None:
    answer = client.post(URL, json=sample(userId=user_id))
    assert answer.status_code == 200
    assert answer.json() == {"committed": True}
    [event] = stored(client)
    assert event["user_id"] == str(int(user_id))
    assert event["properties"]["username"] == ""


def test_username_comes_from_identify_traits_when_known(client: TestClient, rt: Runtime) -> None:
    _known(rt, "12345", {"username": "alice"})
    client.post(URL, json=sample(userId="12345"))
    assert stored(client)[0]["properties"]["username"] == "alice"


def test_known_user_without_a_username_trait_has_an_empty_username(
    client: TestClient, rt: Runtime
) -> None:
    _known(rt, "12345", {"email": "a@example.test"})
    assert client.post(URL, json=sample(userId=12345)).json() == {"committed": True}
    assert stored(client)[0]["properties"]["username"] == ""


@pytest.mark.parametrize("user_id", [0, False, "", None, []])
def test_empty_user_ids_are_missing_as_in_the_original(client: TestClient, user_id: Any) -> None:
    answer = client.post(URL, json=sample(userId=user_id))
    assert answer.status_code == 400
    assert answer.json() == {
        "committed": False,
        "message": "Required user_id missing from context",
    }
    assert stored(client) == []


@pytest.mark.parametrize("user_id", ["foo", "12.5", 12.5, True, {"id": 1}, "1" * 256, "1" * 5000])
def test_user_ids_that_are_not_integers_are_400(client: TestClient, user_id: Any) -> None:
    answer = client.post(URL, json=sample(userId=user_id))
    assert answer.status_code == 400
    assert answer.json() == {"committed": False, "message": "Unable to parse userId as an integer"}
    assert stored(client) == []


@strict
def test_strict_setting_refuses_users_tidings_has_not_seen(client: TestClient) -> None:
    answer = client.post(URL, json=sample(userId=12345))
    assert answer.status_code == 400
    assert answer.json() == {"committed": False, "message": "Specified user does not exist"}
    assert stored(client) == []


@strict
def test_strict_setting_still_takes_identified_users(client: TestClient, rt: Runtime) -> None:
    _known(rt, "12345", {"username": "alice"})
    assert client.post(URL, json=sample(userId=12345)).json() == {"committed": True}
    assert stored(client)[0]["properties"]["username"] == "alice"


@strict
def test_strict_setting_parses_before_it_looks_up(client: TestClient) -> None:
    answer = client.post(URL, json=sample(userId="foo"))
    assert answer.json()["message"] == "Unable to parse userId as an integer"


def test_strict_setting_is_off_by_default_and_read_from_the_environment() -> None:
    assert load(env={}).segmentio_require_known_users is False
    env = {"TIDINGS_SEGMENTIO_REQUIRE_KNOWN_USERS": "true"}
    assert load(env=env).segmentio_require_known_users is True
