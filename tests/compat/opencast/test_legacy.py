"""Opencast generation A: adopter by key, statistics reports, error events (seed 1.4)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.compat.opencast.opencast_app import Quiet, quiet_app
from tidings.compat.opencast.payloads import LEGACY_REQUIRED
from tidings.compat.opencast.records import pseudonym

KEY = "0123456789abcdef0123456789abcdef"
FULL = {
    "country": "DE",
    "postal_code": "49074",
    "city": "Osnabrück",
    "street": "Main Street",
    "street_no": "1A",
    "allows_statistics": True,
    "allows_error_reports": False,
    "allows_tech_data": True,
    "contact_me": False,
    "organisation_name": "Example University",
}

quiet = pytest.fixture(scope="module")(quiet_app)


@pytest.fixture
def adopter(client: TestClient) -> str:
    answer = client.post(
        "/api/1.0/adopter",
        json={"adopter_key": KEY, **FULL, "mail": "jane@example.org", "first_name": "Jane"},
    )
    assert answer.status_code == 200
    return KEY


@pytest.fixture(scope="module")
def quiet_adopter(quiet: Quiet) -> Quiet:
    """The module's shared app with the adopter registered (bad requests change nothing)."""
    answer = quiet.client.post("/api/1.0/adopter", json={"adopter_key": KEY, **FULL})
    assert answer.status_code == 200
    return quiet


def report(client: TestClient, to_date: str, key: str = KEY) -> Any:
    return client.post(
        "/api/1.0/statistics_report",
        json={
            "from_date": "2019-01-01",
            "to_date": to_date,
            "opencast_version": "6.2",
            "adopter_key": key,
        },
    )


def error(client: TestClient, timestamp: str, key: str = KEY) -> Any:
    return client.post(
        "/api/1.0/error_event",
        json={
            "timestamp": timestamp,
            "adopter_key": key,
            "error_type": "workflow_failed",
            "data": "stack trace",
            "opencast_version": "6.2",
        },
    )


def test_adopter_by_key_is_open_and_in_generation_a_shape(client: TestClient, adopter: str) -> None:
    answer = client.get(f"/api/1.0/adopter/{adopter}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["mail"] == "jane@example.org"
    assert body["allows_statistics"] is True and body["allows_error_reports"] is False
    assert body["allows_tech_data"] is True
    assert body["city"] == "Osnabrück"
    assert body["last_activity"].endswith("Z") and body["created"].endswith("Z")


def test_unknown_adopter_is_404_not_an_empty_object(quiet: Quiet) -> None:
    client = quiet.client
    answer = client.get("/api/1.0/adopter/nope")
    assert (answer.status_code, answer.json()) == (
        404,
        {"message": "Adopter with id 'nope' not found"},
    )
    put = client.put("/api/1.0/adopter/nope", json=FULL)
    assert (put.status_code, put.json()) == (404, {"message": "Adopter with id 'nope' not found"})


@pytest.mark.parametrize("missing", LEGACY_REQUIRED)
def test_put_checks_required_fields_in_order(quiet_adopter: Quiet, missing: str) -> None:
    client, adopter = quiet_adopter.client, KEY
    # Every later field is missing too: the message names the first one, in gen A's order.
    index = LEGACY_REQUIRED.index(missing)
    body = {field: FULL[field] for field in LEGACY_REQUIRED[:index]}
    answer = client.put(f"/api/1.0/adopter/{adopter}", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        f"ERROR: At least one required field is missing: '{missing}'"
    )


def test_put_rejects_an_unknown_gender(client: TestClient, adopter: str) -> None:
    answer = client.put(f"/api/1.0/adopter/{adopter}", json={**FULL, "gender": "unknown"})
    assert answer.status_code == 400
    assert answer.json()["message"] == "Invalid argument for 'gender'"
    ok = client.put(f"/api/1.0/adopter/{adopter}", json={**FULL, "gender": "female"})
    assert ok.json()["gender"] == "female"


def test_put_ignores_key_and_timestamps_and_keeps_omitted_fields(
    client: TestClient, adopter: str
) -> None:
    before = client.get(f"/api/1.0/adopter/{adopter}").json()
    answer = client.put(
        f"/api/1.0/adopter/{adopter}",
        json={
            **FULL,
            "city": "Bremen",
            "adopter_key": "other",
            "created": "2000-01-01T00:00:00Z",
            "last_activity": "2000-01-01T00:00:00Z",
        },
    )
    assert answer.status_code == 200
    after = answer.json()
    assert after["adopter_key"] == adopter
    assert after["created"] == before["created"]
    assert after["city"] == "Bremen"
    assert after["first_name"] == "Jane"
    assert after["mail"] == "jane@example.org"
    assert client.get("/api/1.0/adopter/other").status_code == 404


def test_statistics_report_round_trip_newest_first_with_paging(
    client: TestClient, adopter: str, admin: tuple[str, str], viewer: tuple[str, str]
) -> None:
    created = report(client, "2019-02-01")
    assert created.status_code == 200
    first = created.json()
    assert set(first) == {"adopter_key", "from_date", "id", "opencast_version", "to_date"}
    assert (first["from_date"], first["to_date"]) == ("2019-01-01", "2019-02-01")
    report(client, "2019-04-01")
    report(client, "2019-03-01")

    listed = client.get("/api/1.0/statistics_report", auth=viewer).json()
    assert [r["to_date"] for r in listed] == ["2019-04-01", "2019-03-01", "2019-02-01"]
    paged = client.get("/api/1.0/statistics_report?__limit=1&__offset=1", auth=viewer).json()
    assert [r["to_date"] for r in paged] == ["2019-03-01"]
    one = client.get(f"/api/1.0/statistics_report/{first['id']}", auth=admin)
    assert one.json() == first
    # Viewers read the same record with the adopter's pseudonym instead of its key.
    seen = client.get(f"/api/1.0/statistics_report/{first['id']}", auth=viewer).json()
    assert seen == {**first, "adopter_key": pseudonym(adopter)}
    own = client.get(f"/api/1.0/adopter/{adopter}/statistics_report?__limit=2").json()
    assert [r["to_date"] for r in own] == ["2019-04-01", "2019-03-01"]


def test_error_event_keeps_its_offset_and_lists_by_time(
    client: TestClient, adopter: str, admin: tuple[str, str]
) -> None:
    created = error(client, "2019-02-24T12:34:56+0100")
    assert created.status_code == 200
    body = created.json()
    assert body["timestamp"] == "2019-02-24T12:34:56+01:00"
    assert body["data"] == "stack trace"
    # Newest first by the instant, not the text: 12:00Z, then 11:34:56Z, then 04:00Z.
    error(client, "2019-02-24T12:00:00Z")
    error(client, "2019-02-23T23:00:00-05:00")
    listed = client.get("/api/1.0/error_event", auth=admin).json()
    assert [e["timestamp"] for e in listed] == [
        "2019-02-24T12:00:00+00:00",
        "2019-02-24T12:34:56+01:00",
        "2019-02-23T23:00:00-05:00",
    ]
    one = client.get(f"/api/1.0/error_event/{body['id']}", auth=admin).json()
    assert one == body
    own = client.get(f"/api/1.0/adopter/{adopter}/error_event").json()
    assert [e["adopter_key"] for e in own] == [adopter] * 3


def test_records_are_core_events_of_the_opencast_namespace(
    client: TestClient, adopter: str, viewer: tuple[str, str]
) -> None:
    report_id = report(client, "2019-02-01").json()["id"]
    error_id = error(client, "2019-02-24T12:34:56+0100").json()["id"]
    events = client.get("/api/v1/events?namespace=opencast", auth=viewer).json()["events"]
    by_id = {e["id"]: e for e in events}
    assert by_id[report_id]["name"] == "statistics_report"
    assert by_id[report_id]["timestamp"].startswith("2019-02-01T00:00:00")
    assert by_id[error_id]["name"] == "error_event"
    assert by_id[error_id]["timestamp"].startswith("2019-02-24T11:34:56")
    assert by_id[error_id]["user_id"] == pseudonym(adopter)


@pytest.mark.parametrize("path", ["/api/1.0/statistics_report", "/api/1.0/error_event"])
def test_collection_reads_need_a_viewer(
    client: TestClient, adopter: str, viewer: tuple[str, str], path: str
) -> None:
    assert client.get(path).status_code == 401
    assert client.get(f"{path}/1").status_code == 401
    assert client.get(path, auth=viewer).status_code == 200


@pytest.mark.parametrize("path", ["/api/1.0/statistics_report", "/api/1.0/error_event"])
@pytest.mark.parametrize("record_id", ["999", "abc", "99999999999999999999999"])
def test_unknown_record_id_is_404(quiet: Quiet, path: str, record_id: str) -> None:
    answer = quiet.client.get(f"{path}/{record_id}", auth=quiet.viewer)
    assert answer.status_code == 404
    assert answer.json()["message"].endswith(f"with id '{record_id}' not found")


def test_a_report_id_is_not_an_error_event_id(
    client: TestClient, adopter: str, viewer: tuple[str, str]
) -> None:
    report_id = report(client, "2019-02-01").json()["id"]
    assert client.get(f"/api/1.0/error_event/{report_id}", auth=viewer).status_code == 404


@pytest.mark.parametrize("kind", ["statistics_report", "error_event"])
def test_per_adopter_list_of_unknown_adopter_is_404(quiet: Quiet, kind: str) -> None:
    answer = quiet.client.get(f"/api/1.0/adopter/nope/{kind}")
    assert (answer.status_code, answer.json()) == (
        404,
        {"message": "Adopter with id 'nope' not found"},
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"from_date": "2019-01-01", "to_date": "2019-02-01", "adopter_key": "nope"},
            "adopter_key",
            "No adopter found with this key",
        ),
        (
            {"from_date": "2019-01-01", "to_date": "2019-02-01"},
            "adopter_key",
            "ERROR: At least one required field is missing: 'adopter_key'",
        ),
        (
            {"to_date": "2019-02-01", "adopter_key": KEY},
            "from_date",
            "ERROR: At least one required field is missing: 'from_date'",
        ),
        (
            {"from_date": "01.01.2019", "to_date": "2019-02-01", "adopter_key": KEY},
            "from_date",
            None,
        ),
        ({"from_date": "2019-03-01", "to_date": "2019-02-01", "adopter_key": KEY}, "to_date", None),
        ({"from_date": 20190101, "to_date": "2019-02-01", "adopter_key": KEY}, "from_date", None),
        (
            {
                "from_date": "2019-01-01",
                "to_date": "2019-02-01",
                "adopter_key": KEY,
                "opencast_version": 6,
            },
            "opencast_version",
            None,
        ),
    ],
)
def test_bad_statistics_report_is_400_and_stores_nothing(
    quiet_adopter: Quiet, body: dict[str, Any], field: str, message: str | None
) -> None:
    client, rt = quiet_adopter.client, quiet_adopter.rt
    answer = client.post("/api/1.0/statistics_report", json=body)
    assert answer.status_code == 400
    assert field in [e["field"] for e in answer.json()["errors"]]
    if message is not None:
        assert answer.json()["message"] == message
    assert rt.storage.count_events() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"adopter_key": "nope"}, "adopter_key"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "1900-01-01T00:00:00Z"}, "timestamp"),
        ({"error_type": None}, "error_type"),
        ({"error_type": "x" * 256}, "error_type"),
        ({"data": 5}, "data"),
        ({"data": "x" * 40_000}, "data"),
    ],
)
def test_bad_error_event_is_400_and_stores_nothing(
    quiet_adopter: Quiet, changes: dict[str, Any], field: str
) -> None:
    client, rt = quiet_adopter.client, quiet_adopter.rt
    body = {
        "timestamp": "2019-02-24T12:34:56+0100",
        "adopter_key": KEY,
        "error_type": "workflow_failed",
        "data": "trace",
        **changes,
    }
    answer = client.post("/api/1.0/error_event", json={k: v for k, v in body.items() if v})
    assert answer.status_code == 400
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert rt.storage.count_events() == 0


@pytest.mark.parametrize("query", ["__limit=-1", "__limit=x", "__offset=1.5", "__limit=10001"])
def test_bad_paging_is_400(quiet: Quiet, query: str) -> None:
    answer = quiet.client.get(f"/api/1.0/statistics_report?{query}", auth=quiet.viewer)
    assert answer.status_code == 400
    assert "__" in answer.json()["errors"][0]["field"]
