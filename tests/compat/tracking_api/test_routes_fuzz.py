"""Hostile input to the Tracking API, ``POST /api/track/`` (JSON and form data): always a
4xx in its ``{field: [messages]}`` or ``{"detail": ...}`` shape, and nothing stored."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.credentials import bearer
from tests.http.fuzz_app import World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import FormSuite, HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

EVENT = {"namespace": "andy", "name": "cpu", "value": 3, "timestamp": "2020-08-01T13:20:30Z"}


def _json(w: World) -> Target:
    return Target(
        "track",
        "/api/track/",
        dict(EVENT),
        headers=bearer(w.oauth_write),
        timestamps=("timestamp",),
        stored=("namespace", "name"),
        # An empty body is an empty object to that API, so each required field is named;
        # a body that is not an object is a "non_field_errors" error, as in the original.
        body_names=("namespace", "name", "value", "non_field_errors"),
    )


def _form(w: World) -> tuple[Target, dict[str, str], tuple[str, ...]]:
    fields = {key: str(value) for key, value in EVENT.items()}
    return _json(w), fields, ("namespace", "name", "value", "timestamp")


class TestTrackingApi(HostileSuite, FormSuite):
    TARGETS: ClassVar[dict[str, Any]] = {"track": _json}
    FORMS: ClassVar[dict[str, Any]] = {"form": _form}

    def pytest_generate_tests(self, metafunc: Any) -> None:
        HostileSuite.pytest_generate_tests(self, metafunc)
        FormSuite.pytest_generate_tests(self, metafunc)
