"""Admin edits on the Opencast page: adopters edited and deleted, statistics deleted, with
CSRF and a confirmation step; viewers stay read-only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of, log_in
from tidings.compat.opencast.records import pseudonym

PAYLOADS = Path(__file__).parent / "payloads"
HEADERS = {"Content-Type": "application/json; utf-8"}


def _send(client: TestClient, name: str) -> dict[str, Any]:
    body = (PAYLOADS / f"opencast_{name}.json").read_bytes()
    path = "/api/1.0/" + ("adopter" if name == "general_data" else "statistic")
    assert client.post(path, content=body, headers=HEADERS).status_code == 200
    sent: dict[str, Any] = orjson.loads(body)
    return sent


@pytest.fixture
def registered(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    return _send(client, "general_data"), _send(client, "statistics_ci")


def _adopters(client: TestClient, admin: tuple[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/1.0/adopter", auth=admin).json()["adopters"]
    return found


def _statistics(client: TestClient, admin: tuple[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/1.0/statistic", auth=admin).json()["statistics"]
    return found


def _edit_form(page: str) -> dict[str, str]:
    """The edit form's fields as a browser would post them unchanged."""
    form = page.split('id="oc-adopter-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(
        re.findall(
            r'<input (?:type="hidden" )?(?:id="[^"]*" )?name="([^"]+)"'
            r'(?: maxlength="\d+")? value="([^"]*)"',
            form,
        )
    )
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def test_admin_edits_an_adopter_through_the_api_update(
    client: TestClient, admin: tuple[str, str], registered: tuple[dict[str, Any], Any]
) -> None:
    adopter, _ = registered
    key = adopter["adopter_key"]
    log_in(client, *admin)
    listing = client.get("/opencast").text
    assert f'href="/opencast/adopter?ref={pseudonym(key)}"' in listing
    page = client.get(f"/opencast/adopter?ref={pseudonym(key)}")
    assert page.status_code == 200 and key not in page.text
    form = _edit_form(page.text)
    assert form["city"] == adopter["city"] and form["contact_me"] == "true"
    form.update(organisation_name="Renamed University", email="", contact_me="false")
    saved = client.post("/opencast/adopter", data=form, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/opencast")
    (stored,) = _adopters(client, admin)
    assert stored["organisation_name"] == "Renamed University"
    assert stored["email"] is None and stored["contact_me"] is False
    # Untouched fields keep their values, the contact person's name included.
    assert stored["city"] == adopter["city"] and stored["first_name"] == adopter["first_name"]


def test_edits_are_checked_like_the_api_and_need_the_csrf_token(
    client: TestClient, admin: tuple[str, str], registered: tuple[dict[str, Any], Any]
) -> None:
    ref = pseudonym(registered[0]["adopter_key"])
    log_in(client, *admin)
    form = _edit_form(client.get(f"/opencast/adopter?ref={ref}").text)
    too_long = client.post("/opencast/adopter", data={**form, "postal_code": "9" * 65})
    assert too_long.status_code == 400 and "postal_code" in too_long.text
    forged = client.post("/opencast/adopter", data={**form, "csrf": "forged", "city": "X"})
    assert forged.status_code == 403
    unknown = client.post("/opencast/adopter", data={**form, "ref": "oc-unknown"})
    assert unknown.status_code == 404
    assert _adopters(client, admin)[0]["city"] == registered[0]["city"]


def test_deleting_an_adopter_asks_first_then_removes_it_and_its_statistics(
    client: TestClient, admin: tuple[str, str], registered: tuple[dict[str, Any], Any]
) -> None:
    ref = pseudonym(registered[0]["adopter_key"])
    log_in(client, *admin)
    token = csrf_of(client.get("/opencast").text)
    asked = client.post("/opencast/adopter/delete", data={"csrf": token, "ref": ref})
    assert asked.status_code == 200 and "Are you sure?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert len(_adopters(client, admin)) == 1
    done = client.post(
        "/opencast/adopter/delete",
        data={"csrf": token, "ref": ref, "confirm": "yes"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/opencast")
    assert _adopters(client, admin) == [] and _statistics(client, admin) == []


def test_deleting_a_statistic_asks_first_and_keeps_the_adopter(
    client: TestClient, admin: tuple[str, str], registered: tuple[dict[str, Any], Any]
) -> None:
    adopter, statistic = registered
    fields = {
        "adopter": pseudonym(adopter["adopter_key"]),
        "ref": pseudonym(statistic["statistic_key"]),
    }
    log_in(client, *admin)
    page = client.get("/opencast").text
    assert f'name="ref" value="{fields["ref"]}"' in page
    token = csrf_of(page)
    asked = client.post("/opencast/statistic/delete", data={"csrf": token, **fields})
    assert asked.status_code == 200 and "Are you sure?" in asked.text
    assert len(_statistics(client, admin)) == 1
    done = client.post(
        "/opencast/statistic/delete", data={"csrf": token, "confirm": "yes", **fields}
    )
    assert done.status_code == 200  # the Opencast page, after the redirect
    assert _statistics(client, admin) == [] and len(_adopters(client, admin)) == 1


def test_viewers_get_no_forms_and_cannot_post_them(
    client: TestClient,
    viewer: tuple[str, str],
    admin: tuple[str, str],
    registered: tuple[dict[str, Any], Any],
) -> None:
    ref = pseudonym(registered[0]["adopter_key"])
    log_in(client, *viewer)
    page = client.get("/opencast").text
    assert "/opencast/adopter" not in page and "/opencast/statistic/delete" not in page
    assert "/opencast/record/delete" not in page
    token = csrf_of(page)
    assert client.get(f"/opencast/adopter?ref={ref}").status_code == 403
    posts = {
        "/opencast/adopter": {"ref": ref, "city": "X"},
        "/opencast/adopter/delete": {"ref": ref, "confirm": "yes"},
        "/opencast/statistic/delete": {"ref": ref, "adopter": ref, "confirm": "yes"},
        "/opencast/record/delete": {"kind": "error_event", "ref": "1", "confirm": "yes"},
    }
    for path, fields in posts.items():
        assert client.post(path, data={"csrf": token, **fields}).status_code == 403, path
    assert len(_adopters(client, admin)) == 1 and len(_statistics(client, admin)) == 1


def _post_record(client: TestClient, kind: str, body: dict[str, Any]) -> int:
    answer = client.post(f"/api/1.0/{kind}", json=body)
    assert answer.status_code == 200, answer.text
    record_id: int = answer.json()["id"]
    return record_id


def test_admin_deletes_one_statistics_report_or_error_event_after_confirming(
    client: TestClient, admin: tuple[str, str], registered: tuple[dict[str, Any], Any]
) -> None:
    key = registered[0]["adopter_key"]
    report = {"from_date": "2019-01-01", "opencast_version": "6.2", "adopter_key": key}
    first = _post_record(client, "statistics_report", {**report, "to_date": "2019-01-31"})
    kept = _post_record(client, "statistics_report", {**report, "to_date": "2019-02-28"})
    error = _post_record(
        client,
        "error_event",
        {
            "timestamp": "2019-02-24T12:34:56+0100",
            "adopter_key": key,
            "error_type": "workflow_failed",
            "data": "stack trace",
            "opencast_version": "6.2",
        },
    )
    log_in(client, *admin)
    page = client.get("/opencast").text
    assert 'id="oc-reports"' in page and 'id="oc-errors"' in page
    assert key not in page
    token = csrf_of(page)
    for kind, record_id in (("statistics_report", first), ("error_event", error)):
        fields = {"csrf": token, "kind": kind, "ref": str(record_id)}
        asked = client.post("/opencast/record/delete", data=fields)
        assert asked.status_code == 200 and "Are you sure?" in asked.text
        assert client.get(f"/api/1.0/{kind}/{record_id}", auth=admin).status_code == 200
        done = client.post("/opencast/record/delete", data={**fields, "confirm": "yes"})
        assert done.status_code == 200  # the Opencast page, after the redirect
        assert client.get(f"/api/1.0/{kind}/{record_id}", auth=admin).status_code == 404
    remaining = client.get("/api/1.0/statistics_report", auth=admin).json()
    assert [r["id"] for r in remaining] == [kept]
    # A report id does not name an error event, and unknown ids are 404.
    wrong = {"csrf": token, "kind": "error_event", "ref": str(kept), "confirm": "yes"}
    assert client.post("/opencast/record/delete", data=wrong).status_code == 404
    assert client.get(f"/api/1.0/statistics_report/{kept}", auth=admin).status_code == 200
