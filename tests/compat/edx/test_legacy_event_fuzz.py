"""Hostile input to the legacy edX browser endpoint, ``POST /event`` (JSON and form data):
always a 4xx naming the field, and nothing stored."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.http.fuzz_app import World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import FormSuite, HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

FIELDS = {
    "event_type": "problem_check",
    "event": '{"answers": {"q1": "choice_2"}, "attempts": 1}',
    "page": "https://courses.example.org/courseware/1",
}


def _json(w: World) -> Target:
    return Target(
        "json",
        "/event",
        dict(FIELDS),
        headers={"X-Write-Key": w.write_key},
        stored=("event_type", "event", "page"),
        # Fields may come in the query string instead, so an empty body is no error itself.
        body_names=("event_type",),
    )


def _form(w: World) -> tuple[Target, dict[str, str], tuple[str, ...]]:
    return _json(w), dict(FIELDS), ("event_type", "event", "page")


class TestLegacyEvent(HostileSuite, FormSuite):
    TARGETS: ClassVar[dict[str, Any]] = {"json": _json}
    FORMS: ClassVar[dict[str, Any]] = {"form": _form}

    def pytest_generate_tests(self, metafunc: Any) -> None:
        HostileSuite.pytest_generate_tests(self, metafunc)
        FormSuite.pytest_generate_tests(self, metafunc)
