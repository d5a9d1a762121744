"""Hostile input to the Microticks API, ``POST /sessions``, ``/sessions/stop`` and ``/events``
(JSON and form data): always a 4xx in its ``{"error": ...}`` shape naming the field, and
nothing stored (no session opened or stopped, no event)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.http.fuzz_app import World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import FormSuite, HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

TS = "2017-08-25T17:10:01.000Z"
DATA = '{"target": "some_element", "clickX": 406, "clickY": 300}'


def _session(w: World) -> Target:
    return Target(
        "session",
        "/sessions",
        {"consumer_key": w.consumer_key, "ts": TS},
        timestamps=("ts",),
        body_names=("consumer_key",),
    )


def _event(w: World) -> Target:
    return Target(
        "event",
        "/events",
        {"token": w.session_token, "action": "click", "data": DATA, "ts": TS},
        timestamps=("ts",),
        stored=("action", "data"),
        body_names=("token",),
    )


def _event_with_json_data(w: World) -> Target:
    data = {"target": "some_element", "clickX": 406, "path": ["a", "b"]}
    return Target(
        "event_json",
        "/events",
        {"token": w.session_token, "action": "click", "data": data, "ts": TS},
        timestamps=("ts",),
        stored=("action", "data", "data.target", "data.path.0"),
        body_names=("token",),
    )


def _stop(w: World) -> Target:
    # A session of its own: once the template has stopped it, every stop is refused anyway.
    started = w.client.post("/sessions", data={"consumer_key": w.consumer_key, "ts": TS})
    assert started.status_code == 200, started.text
    return Target(
        "stop",
        "/sessions/stop",
        {"token": started.json()["token"], "ts": "2017-08-25T17:11:00.000Z"},
        timestamps=("ts",),
        body_names=("ts",),
    )


def _form(make: Any, spoilable: tuple[str, ...]) -> Any:
    def build(w: World) -> tuple[Target, dict[str, str], tuple[str, ...]]:
        target = make(w)
        return target, {k: str(v) for k, v in target.template.items()}, spoilable

    return build


class TestMicroticks(HostileSuite, FormSuite):
    TARGETS: ClassVar[dict[str, Any]] = {
        "session": _session,
        "event": _event,
        "event_json": _event_with_json_data,
        "stop": _stop,
    }
    # Not the token or key: an unknown one counts as guessing against the caller's address.
    FORMS: ClassVar[dict[str, Any]] = {
        "session": _form(_session, ("ts",)),
        "event": _form(_event, ("action", "data", "ts")),
        "stop": _form(_stop, ("ts",)),
    }

    def pytest_generate_tests(self, metafunc: Any) -> None:
        HostileSuite.pytest_generate_tests(self, metafunc)
        FormSuite.pytest_generate_tests(self, metafunc)
