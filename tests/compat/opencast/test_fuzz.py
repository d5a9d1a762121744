"""Hostile input to the Opencast routes of every generation (``/api/1.0/adopter``,
``/statistic``, ``/tobira``; generation A's adopter by key, statistics reports and error
events): always a 4xx in the ``{"message", "errors"}`` shape naming the field, and nothing
stored. Bytes that are not UTF-8 are read as latin-1 here, as older Opencast releases sent
them (seed-systems.md 1.2), so invalid UTF-8 is not among the refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest

from tests.http.fuzz_app import ADOPTER_KEY, LEGACY_KEY, STATISTIC_KEY, World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

PAYLOADS = Path(__file__).parent / "payloads"
HEADERS = {"Content-Type": "application/json; utf-8", "Accept": "application/json"}
ADOPTER_TEXT = (
    "organisation_name",
    "department_name",
    "first_name",
    "last_name",
    "country",
    "city",
    "postal_code",
    "street",
    "street_no",
    "email",
    "system_type",
)


def _payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((PAYLOADS / f"opencast_{name}.json").read_bytes())
    return data


def _target(name: str, path: str, body: dict[str, Any], **kwargs: Any) -> Target:
    return Target(name, path, body, headers=HEADERS, strict_utf8=False, **kwargs)


def _adopter(w: World) -> Target:
    body = {**_payload("general_data"), "adopter_key": ADOPTER_KEY}
    return _target("adopter", "/api/1.0/adopter", body, stored=("adopter_key", *ADOPTER_TEXT))


def _statistic(w: World) -> Target:
    body = {
        **_payload("statistics_ci"),
        "statistic_key": STATISTIC_KEY,
        "adopter_key": ADOPTER_KEY,
    }
    stored = ("statistic_key", "version", "hosts.0.hostname", "hosts.0.services")
    return _target("statistic", "/api/1.0/statistic", body, stored=stored)


def _tobira(w: World) -> Target:
    body = {**_payload("tobira"), "statistic_key": STATISTIC_KEY}
    stored = ("data", "data.version", "data.version.identifier", "data.config.theme")
    return _target("tobira", "/api/1.0/tobira", body, stored=stored)


def _legacy_adopter(w: World) -> Target:
    body = {
        "country": "DE",
        "postal_code": "49074",
        "city": "Osnabrück",
        "street": "Main Street",
        "street_no": "1A",
        "allows_statistics": True,
        "allows_error_reports": True,
        "allows_tech_data": True,
        "contact_me": False,
        "organisation_name": "Example University",
        "mail": "jane@example.org",
        "gender": "female",
    }
    stored = ("country", "postal_code", "city", "street", "organisation_name", "mail")
    return Target(
        "legacy_adopter",
        f"/api/1.0/adopter/{LEGACY_KEY}",
        body,
        method="PUT",
        strict_utf8=False,
        stored=stored,
    )


def _report(w: World) -> Target:
    body = {
        "from_date": "2019-01-01",
        "to_date": "2019-02-01",
        "opencast_version": "6.2",
        "adopter_key": LEGACY_KEY,
    }
    return _target(
        "statistics_report",
        "/api/1.0/statistics_report",
        body,
        timestamps=("from_date", "to_date"),
        stored=("opencast_version", "adopter_key"),
    )


def _error_event(w: World) -> Target:
    body = {
        "timestamp": "2019-02-24T12:34:56+0100",
        "adopter_key": LEGACY_KEY,
        "error_type": "workflow_failed",
        "data": "stack trace",
        "opencast_version": "6.2",
    }
    return _target(
        "error_event",
        "/api/1.0/error_event",
        body,
        timestamps=("timestamp",),
        stored=("error_type", "data", "opencast_version", "adopter_key"),
    )


class TestOpencast(HostileSuite):
    TARGETS: ClassVar[dict[str, Any]] = {
        "adopter": _adopter,
        "statistic": _statistic,
        "tobira": _tobira,
        "legacy_adopter": _legacy_adopter,
        "statistics_report": _report,
        "error_event": _error_event,
    }
