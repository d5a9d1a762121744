"""Opencast generations B/C: the payloads a real Opencast sends (seed-systems.md 1.2, 1.5)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from tests.compat.opencast.opencast_app import Quiet, quiet_app
from tidings.compat.opencast import records as opencast_records
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.records import pseudonym
from tidings.config import Settings
from tidings.http.deps import Runtime
from tidings.model.events import EventDraft

PAYLOADS = Path(__file__).parent / "payloads"
# What Opencast's Sender sets, including the malformed charset (seed-systems.md 1.2).
OPENCAST_HEADERS = {"Content-Type": "application/json; utf-8", "Accept": "application/json"}
ADOPTER_KEY = "3f1c2d8e-5b7a-4c1e-9f2d-8a6b4c3e2d1f"
STATISTIC_KEY = "8d0e6f4a-2c1b-4e3d-a5f6-7b8c9d0e1f2a"

quiet = pytest.fixture(scope="module")(quiet_app)


def payload(name: str) -> bytes:
    return (PAYLOADS / f"opencast_{name}.json").read_bytes()


def send(client: TestClient, method: str, path: str, body: bytes) -> Any:
    return client.request(method, path, content=body, headers=OPENCAST_HEADERS)


def opencast_events(client: TestClient, viewer: tuple[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/events?namespace=opencast&limit=1000", auth=viewer)
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_registration_statistics_and_deregistration_in_opencast_order(
    client: TestClient, admin: tuple[str, str]
) -> None:
    adopter = send(client, "POST", "/api/1.0/adopter", payload("general_data"))
    assert adopter.status_code == 200
    stored = adopter.json()["adopter"]
    assert stored["adopter_key"] == ADOPTER_KEY
    assert stored["city"] == "Osnabrück"
    assert stored["contact_me"] is True and stored["send_usage"] is True
    assert stored["created"].endswith("Z")

    statistic = send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    assert statistic.status_code == 200
    body = statistic.json()["statistic"]
    assert body["statistic_key"] == STATISTIC_KEY
    assert body["adopter_key"] == ADOPTER_KEY
    assert body["version"] == "ä9.0.0.SNAPSHOT"
    assert body["total_minutes"] == 1_000_000
    assert body["hosts"] == [
        {
            "hostname": "asdf",
            "cores": 4,
            "max_load": 4.0,
            "memory": 1073741824,
            "disk_space": None,
            "services": "service1,\nservice2,\nservice3,\nservice4ä",
        },
        {
            "hostname": "qwertyä",
            "cores": 2,
            "max_load": 20.0,
            "memory": 4,
            "disk_space": -1,
            "services": None,
        },
    ]

    tobira = send(client, "POST", "/api/1.0/tobira", payload("tobira"))
    assert tobira.status_code == 200
    assert tobira.json()["tobira"]["data"]["num_realms"] == 12

    adopters = client.get("/api/1.0/adopter", auth=admin).json()["adopters"]
    assert [a["adopter_key"] for a in adopters] == [ADOPTER_KEY]
    statistics = client.get("/api/1.0/statistic", auth=admin).json()["statistics"]
    assert [s["statistic_key"] for s in statistics] == [STATISTIC_KEY]

    # Tobira's CI deletes its own record first, then Opencast deregisters (seed 1.2, 1.5).
    delete_tobira = orjson.dumps({"statistic_key": STATISTIC_KEY})
    assert send(client, "DELETE", "/api/1.0/tobira", delete_tobira).json() == {
        "deleted": STATISTIC_KEY
    }
    deleted = send(client, "DELETE", "/api/1.0/statistic", payload("delete_statistic"))
    assert (deleted.status_code, deleted.json()) == (200, {"deleted": STATISTIC_KEY})
    deleted = send(client, "DELETE", "/api/1.0/adopter", payload("delete_adopter"))
    assert (deleted.status_code, deleted.json()) == (200, {"deleted": ADOPTER_KEY})
    assert client.get("/api/1.0/adopter", auth=admin).json() == {"adopters": []}
    assert client.get("/api/1.0/statistic", auth=admin).json() == {"statistics": []}
    assert client.get("/api/1.0/tobira", auth=admin).json() == {"tobira": []}


def test_latin1_body_from_older_opencast_is_decoded(
    client: TestClient, viewer: tuple[str, str]
) -> None:
    body = payload("general_data").decode("utf-8").encode("latin-1")
    assert b"Osnabr\xfcck" in body
    answer = send(client, "POST", "/api/1.0/adopter", body)
    assert answer.status_code == 200
    assert answer.json()["adopter"]["city"] == "Osnabrück"


def test_declared_charset_is_honoured_when_it_is_real(client: TestClient) -> None:
    body = payload("general_data").decode("utf-8").encode("latin-1")
    answer = client.post(
        "/api/1.0/adopter",
        content=body,
        headers={"Content-Type": "application/json; charset=ISO-8859-1"},
    )
    assert answer.json()["adopter"]["city"] == "Osnabrück"


def test_omitted_fields_are_left_as_they_were(client: TestClient) -> None:
    send(client, "POST", "/api/1.0/adopter", payload("general_data"))
    # Gson drops null fields: a later payload without them must not wipe them.
    answer = client.post("/api/1.0/adopter", json={"adopter_key": ADOPTER_KEY, "city": "Bremen"})
    stored = answer.json()["adopter"]
    assert stored["city"] == "Bremen"
    assert stored["organisation_name"] == "Example University"
    assert stored["email"] == "jane@example.org"
    assert stored["contact_me"] is True

    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    again = client.post("/api/1.0/statistic", json={"statistic_key": STATISTIC_KEY, "ca_count": 3})
    stat = again.json()["statistic"]
    assert (stat["ca_count"], stat["total_minutes"], stat["version"]) == (
        3,
        1_000_000,
        "ä9.0.0.SNAPSHOT",
    )
    assert len(stat["hosts"]) == 2


def test_host_list_is_replaced_on_upsert(client: TestClient, viewer: tuple[str, str]) -> None:
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    one_host = {
        "statistic_key": STATISTIC_KEY,
        "hosts": [{"cores": 8, "max_load": 8.0, "memory": 16, "hostname": "https://a.example"}],
    }
    answer = client.post("/api/1.0/statistic", json=one_host)
    assert [h["hostname"] for h in answer.json()["statistic"]["hosts"]] == ["https://a.example"]
    listed = client.get(f"/api/1.0/statistic/{STATISTIC_KEY}", auth=viewer).json()
    assert len(listed["statistic"]["hosts"]) == 1
    emptied = client.post("/api/1.0/statistic", json={"statistic_key": STATISTIC_KEY, "hosts": []})
    assert emptied.json()["statistic"]["hosts"] == []


@pytest.mark.parametrize("path", ["/api/1.0/adopter", "/api/1.0/statistic", "/api/1.0/tobira"])
def test_collection_reads_need_a_viewer(
    client: TestClient, viewer: tuple[str, str], admin: tuple[str, str], path: str
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert anonymous.json()["data"] == {"logged_in": False, "roles": []}
    assert client.get(path, auth=("viewer", "wrong-password")).status_code == 401
    assert client.get(path, auth=viewer).status_code == 200
    assert client.get(path, auth=admin).status_code == 200


def test_viewers_see_pseudonyms_not_the_keys_that_grant_changes(
    client: TestClient, viewer: tuple[str, str], admin: tuple[str, str]
) -> None:
    send(client, "POST", "/api/1.0/adopter", payload("general_data"))
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    send(client, "POST", "/api/1.0/tobira", payload("tobira"))
    (adopter,) = client.get("/api/1.0/adopter", auth=viewer).json()["adopters"]
    (statistic,) = client.get("/api/1.0/statistic", auth=viewer).json()["statistics"]
    (tobira,) = client.get("/api/1.0/tobira", auth=viewer).json()["tobira"]
    assert adopter["adopter_key"] == statistic["adopter_key"] == pseudonym(ADOPTER_KEY)
    assert statistic["statistic_key"] == tobira["statistic_key"] == pseudonym(STATISTIC_KEY)
    assert adopter["city"] == "Osnabrück"
    events = opencast_events(client, viewer)
    text = orjson.dumps(events).decode()
    assert ADOPTER_KEY not in text and STATISTIC_KEY not in text
    # A pseudonym is no key: it names no record on the open routes.
    fake = orjson.dumps({"adopter_key": pseudonym(ADOPTER_KEY)})
    assert send(client, "DELETE", "/api/1.0/adopter", fake).status_code == 404
    (shown,) = client.get("/api/1.0/adopter", auth=admin).json()["adopters"]
    assert shown["adopter_key"] == ADOPTER_KEY


def test_single_record_reads_need_a_viewer_too(client: TestClient, viewer: tuple[str, str]) -> None:
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    assert client.get(f"/api/1.0/statistic/{STATISTIC_KEY}").status_code == 401
    assert client.get(f"/api/1.0/statistic/{STATISTIC_KEY}", auth=viewer).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/1.0/adopter", {"adopter_key": "nope"}, "Adopter with id 'nope' not found"),
        ("/api/1.0/tobira", {"statistic_key": "nope"}, "Tobira statistic with id 'nope' not found"),
    ],
)
def test_deleting_an_unknown_key_is_404(
    quiet: Quiet, path: str, body: dict[str, str], message: str
) -> None:
    answer = quiet.client.request("DELETE", path, json=body)
    assert (answer.status_code, answer.json()) == (404, {"message": message})


def test_deleting_an_unknown_statistic_answers_200_as_opencast_expects(quiet: Quiet) -> None:
    # Opencast deregisters with DELETE statistic even when it never sent statistics; the
    # registration server answered 200 and Opencast logs anything else as a failure.
    never_sent = "0b6c2e9a-7d41-4f3e-8a25-c9d7e1f04b63"
    body = payload("delete_statistic").replace(STATISTIC_KEY.encode(), never_sent.encode())
    answer = send(quiet.client, "DELETE", "/api/1.0/statistic", body)
    assert (answer.status_code, answer.json()) == (200, {"deleted": never_sent})
    answer = quiet.client.request("DELETE", "/api/1.0/statistic", json={"statistic_key": "nope"})
    assert (answer.status_code, answer.json()) == (200, {"deleted": "nope"})


def test_reading_an_unknown_key_is_404(quiet: Quiet) -> None:
    for path in ("/api/1.0/statistic/nope", "/api/1.0/tobira/nope"):
        answer = quiet.client.get(path, auth=quiet.viewer)
        assert answer.status_code == 404
        assert "'nope' not found" in answer.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/api/1.0/adopter",
            b'{"country": "DE"}',
            "adopter_key",
            "ERROR: At least one required field is missing: 'adopter_key'",
        ),
        ("/api/1.0/adopter", b'{"adopter_key": ""}', "adopter_key", None),
        ("/api/1.0/adopter", b'{"adopter_key": 5}', "adopter_key", None),
        ("/api/1.0/adopter", b'{"adopter_key": "k", "contact_me": "yes"}', "contact_me", None),
        (
            "/api/1.0/adopter",
            b'{"adopter_key": "k", "organisation_name": "' + b"x" * 256 + b'"}',
            "organisation_name",
            None,
        ),
        ("/api/1.0/adopter", b'{"adopter_key": "k", "city": "a\\u0000b"}', "city", None),
        ("/api/1.0/adopter", b'{"adopter_key": "k", "gender": "x"}', "gender", None),
        ("/api/1.0/adopter", b'{"adopter_key": ', "body", None),
        ("/api/1.0/adopter", b"", "body", None),
        ("/api/1.0/adopter", b'["adopter_key"]', "body", None),
        ("/api/1.0/adopter", b'{"adopter_key": "\\ud800"}', "body", None),
        (
            "/api/1.0/statistic",
            b'{"job_count": 1}',
            "statistic_key",
            "ERROR: At least one required field is missing: 'statistic_key'",
        ),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "job_count": "12"}', "job_count", None),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "job_count": 1.5}', "job_count", None),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "user_count": -1}', "user_count", None),
        (
            "/api/1.0/statistic",
            b'{"statistic_key": "s", "total_minutes": 99999999999999999999}',
            "total_minutes",
            None,
        ),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "hosts": {}}', "hosts", None),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "hosts": [1]}', "hosts.0", None),
        (
            "/api/1.0/statistic",
            b'{"statistic_key": "s", "hosts": [{"cores": 1}, {"cores": "4"}]}',
            "hosts.1.cores",
            "Invalid argument for 'hosts.1.cores': must be an integer",
        ),
        (
            "/api/1.0/statistic",
            b'{"statistic_key": "s", "hosts": [{"maxLoad": "high"}]}',
            "hosts.0.maxLoad",
            None,
        ),
        ("/api/1.0/statistic", b'{"statistic_key": "s", "version": 16}', "version", None),
        ("/api/1.0/tobira", b'{"statistic_key": "s"}', "data", None),
        ("/api/1.0/tobira", b'{"statistic_key": "s", "data": "x"}', "data", None),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    quiet: Quiet, path: str, body: bytes, field: str, message: str | None
) -> None:
    client, rt, viewer = quiet.client, quiet.rt, quiet.viewer
    answer = send(client, "POST", path, body)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()
    assert field in [e["field"] for e in error["errors"]]
    if message is not None:
        assert error["message"] == message
    assert client.get("/api/1.0/adopter", auth=viewer).json()["adopters"] == []
    assert client.get("/api/1.0/statistic", auth=viewer).json()["statistics"] == []
    assert rt.storage.count_events() == 0


def test_oversized_body_is_413(client: TestClient, settings: Settings) -> None:
    body = orjson.dumps({"adopter_key": "k", "street": "x" * settings.max_body_bytes})
    answer = send(client, "POST", "/api/1.0/adopter", body)
    assert answer.status_code == 413
    assert "message" in answer.json()


def test_unknown_fields_from_newer_clients_are_ignored(client: TestClient) -> None:
    answer = client.post("/api/1.0/adopter", json={"adopter_key": "k", "future_field": [1]})
    assert answer.status_code == 200


def test_statistics_become_core_events_that_aggregate(
    client: TestClient, viewer: tuple[str, str]
) -> None:
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    events = opencast_events(client, viewer)
    by_name = {e["name"]: e for e in events}
    assert {e["source"] for e in events} == {"opencast"}
    assert by_name["statistic"]["properties"]["version"] == "ä9.0.0.SNAPSHOT"
    assert by_name["statistic"]["properties"]["hosts"] == 2
    assert by_name["statistic"]["user_id"] == pseudonym(ADOPTER_KEY)
    assert by_name["total_minutes"]["value"] == 1_000_000
    assert by_name["hosts"]["value"] == 2
    total = client.get(
        "/api/v1/aggregate?namespace=opencast&name=total_minutes&fn=sum&granularity=total",
        auth=viewer,
    ).json()
    assert [b["value"] for b in total["buckets"]] == [1_000_000]
    per_version = client.get(
        "/api/v1/aggregate?namespace=opencast&name=statistic&fn=count&granularity=total"
        "&group_by=prop.version",
        auth=viewer,
    ).json()
    assert [(b["group"], b["value"]) for b in per_version["buckets"]] == [("ä9.0.0.SNAPSHOT", 1)]


def test_an_installation_counts_once_per_day_in_the_events(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    stored = rt.storage.count_events()
    # Opencast reports again after a restart the same day: the record is updated, the
    # daily series is not counted twice.
    again = client.post(
        "/api/1.0/statistic", json={"statistic_key": STATISTIC_KEY, "total_minutes": 5}
    )
    assert again.json()["statistic"]["total_minutes"] == 5
    assert rt.storage.count_events() == stored
    other = orjson.loads(payload("statistics_ci"))
    other["statistic_key"] = "another-installation"
    client.post("/api/1.0/statistic", json=other)
    daily = client.get(
        "/api/v1/aggregate?namespace=opencast&name=total_minutes&fn=sum&granularity=total",
        auth=viewer,
    ).json()
    assert [b["value"] for b in daily["buckets"]] == [2_000_000]


def test_the_builtin_source_has_no_write_key(client: TestClient, rt: Runtime) -> None:
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    (source,) = [s for s in rt.storage.list_sources() if s.name == "opencast"]
    assert opencast_records.source_id(rt.storage) == source.id
    assert (
        client.post(
            "/api/v1/events",
            json={"namespace": "opencast", "name": "x"},
            headers={"X-Write-Key": ""},
        ).status_code
        == 401
    )


def test_dashboard_read_side(client: TestClient, rt: Runtime) -> None:
    send(client, "POST", "/api/1.0/adopter", payload("general_data"))
    send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    client.post("/api/1.0/adopter", json={"adopter_key": "other", "country": "CH"})
    rows = opencast_records.adopters_with_latest_statistics(rt.storage)
    by_key = {row["adopter_key"]: row for row in rows}
    assert by_key[ADOPTER_KEY]["statistic"]["total_minutes"] == 1_000_000
    assert len(by_key[ADOPTER_KEY]["statistic"]["hosts"]) == 2
    assert by_key["other"]["statistic"] is None
    assert sorted(opencast_records.adopters_per_country(rt.storage)) == [("CH", 1), ("DE", 1)]
    assert opencast_records.statistics_per_version(rt.storage) == [("ä9.0.0.SNAPSHOT", 1)]
    assert dict(opencast_records.adopters_per_system_type(rt.storage)) == {
        "production": 1,
        None: 1,
    }


def test_open_routes_are_rate_limited(tmp_path: Path) -> None:
    from tidings.app import create_app

    settings = Settings(data_dir=str(tmp_path / "data"), opencast_rate_per_minute=2)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            assert client.post("/api/1.0/adopter", json={"adopter_key": "k"}).status_code == 200
        limited = client.post("/api/1.0/adopter", json={"adopter_key": "k"})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "message" in limited.json()


def test_a_statistic_and_its_events_commit_together_or_not_at_all(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Fails:
        def apply(self, conn: object) -> None:
            raise sqlite3.OperationalError("database is locked")

    original = rt.storage.insert_batch

    def failing(drafts: Sequence[EventDraft], side_writes: Sequence[Any] = ()) -> Any:
        return original(drafts, [*side_writes, Fails()])

    monkeypatch.setattr(rt.storage, "insert_batch", failing)
    answer = send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    assert answer.status_code == 503
    assert rt.storage.count_events() == 0
    assert tables.get_statistic(rt.storage.engine, STATISTIC_KEY) is None
    monkeypatch.undo()
    answer = send(client, "POST", "/api/1.0/statistic", payload("statistics_ci"))
    assert answer.status_code == 200
    assert answer.json()["statistic"]["total_minutes"] == 1_000_000
    assert tables.get_statistic(rt.storage.engine, STATISTIC_KEY) is not None
    assert rt.storage.count_events() > 0


def test_the_events_of_a_partial_statistic_describe_the_stored_row(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    hosts = [{"hostname": "a", "cores": 4, "memory": 8}, {"hostname": "b", "cores": 2}]
    tables.upsert_statistic(rt.storage.engine, "k2", {"version": "16.1", "job_count": 5}, hosts)
    answer = client.post("/api/1.0/statistic", json={"statistic_key": "k2", "ca_count": 3})
    assert answer.json()["statistic"]["version"] == "16.1"
    [summary] = [e for e in opencast_events(client, viewer) if e["name"] == "statistic"]
    props = summary["properties"]
    assert (props["version"], props["job_count"], props["ca_count"]) == ("16.1", 5, 3)
    assert (props["hosts"], props["cores"], props["memory"]) == (2, 6, 8)
