from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from tests.http.dashboard.helpers import log_in

EVENTS = [
    {
        "namespace": "shop",
        "name": "buy",
        "value": 10,
        "properties": {"plan": "pro"},
        "timestamp": "2026-03-29T08:00:00Z",
    },
    {
        "namespace": "shop",
        "name": "buy",
        "value": 20,
        "properties": {"plan": "free"},
        "timestamp": "2026-03-29T09:30:00Z",
    },
    {
        "namespace": "shop",
        "name": "view",
        "value": 1,
        "session_id": "s1",
        "timestamp": "2026-03-30T12:00:00Z",
    },
]
QUERY = {
    "namespace": "shop",
    "name": "buy",
    "fn": "sum",
    "granularity": "hour",
    "range": "custom",
    "from": "2026-03-29T10:00",
    "to": "2026-03-29T12:00",
    "tz": "Europe/Berlin",
    "chart": "bar",
}


@pytest.fixture
def logged_in(client: TestClient, admin, write_key: str) -> TestClient:
    answer = client.post(
        "/api/v1/events", json={"events": EVENTS}, headers={"X-Write-Key": write_key}
    )
    assert answer.status_code == 200
    log_in(client, *admin)
    return client


def test_the_overview_of_an_empty_store_says_how_to_send_an_event(
    client: TestClient, admin
) -> None:
    log_in(client, *admin)
    page = client.get("/")
    assert "No events yet" in page.text
    assert "X-Write-Key" in page.text


def test_overview_data_counts_recent_events(client: TestClient, admin, write_key: str) -> None:
    client.post(
        "/api/v1/events",
        json={"events": [{"namespace": "app", "name": "tick"}] * 3},
        headers={"X-Write-Key": write_key},
    )
    log_in(client, *admin)
    data = client.get("/dashboard/data/overview").json()
    assert data["total"] == 3
    assert data["last_hour"] == 3
    assert len(data["per_minute"]) == 60
    assert data["top_names"] == [{"label": "tick", "count": 3}]


def test_explorer_table_equals_the_aggregate_api(logged_in: TestClient, admin) -> None:
    page = logged_in.get("/explore", params=QUERY)
    assert page.status_code == 200
    api = logged_in.get(
        "/api/v1/aggregate",
        params={
            "namespace": "shop",
            "name": "buy",
            "fn": "sum",
            "granularity": "hour",
            "from": "2026-03-29T08:00:00Z",
            "to": "2026-03-29T10:00:00Z",
            "tz": "Europe/Berlin",
            "fill": "true",
        },
        auth=admin,
    ).json()
    assert [b["value"] for b in api["buckets"]] == [10, 20]
    for bucket in api["buckets"]:
        assert f"<td>{bucket['start']}</td>" in page.text
    rows = list(csv.DictReader(io.StringIO(logged_in.get("/explore.csv", params=QUERY).text)))
    assert [(r["start"], float(r["value"]), int(r["count"])) for r in rows] == [
        (b["start"], b["value"], b["count"]) for b in api["buckets"]
    ]


def test_explorer_groups_by_a_property(logged_in: TestClient) -> None:
    query = {**QUERY, "granularity": "total", "group_by": "prop.plan"}
    rows = list(csv.DictReader(io.StringIO(logged_in.get("/explore.csv", params=query).text)))
    assert {r["group"]: float(r["value"]) for r in rows} == {"free": 20, "pro": 10}


def test_explorer_shows_bad_input_in_the_page_with_400(logged_in: TestClient) -> None:
    answer = logged_in.get("/explore", params={**QUERY, "tz": "Mars/Base"})
    assert answer.status_code == 400
    assert "not an IANA time zone" in answer.text
    answer = logged_in.get("/explore", params={**QUERY, "from": "yesterday"})
    assert answer.status_code == 400


def test_live_tail_data_starts_with_recent_events_then_follows_the_cursor(
    logged_in: TestClient, write_key: str
) -> None:
    first = logged_in.get("/dashboard/data/events", params={"namespace": "shop"}).json()
    assert [e["name"] for e in first["events"]] == ["buy", "buy", "view"]
    logged_in.post(
        "/api/v1/events",
        json={"namespace": "shop", "name": "late"},
        headers={"X-Write-Key": write_key},
    )
    logged_in.post(
        "/api/v1/events",
        json={"namespace": "other", "name": "skip"},
        headers={"X-Write-Key": write_key},
    )
    more = logged_in.get(
        "/dashboard/data/events", params={"namespace": "shop", "after": first["cursor"]}
    ).json()
    assert [e["name"] for e in more["events"]] == ["late"]


def test_sessions_page_lists_sessions_with_clicks_and_duration(
    client: TestClient, admin, write_key: str
) -> None:
    events = [
        {"namespace": "microticks", "name": "click", "session_id": "abc", "timestamp": -40},
        {"namespace": "microticks", "name": "click", "session_id": "abc", "timestamp": -10},
        {"namespace": "microticks", "name": "scroll", "session_id": "abc", "timestamp": -5},
    ]
    import time

    now = time.time()
    for event in events:
        event["timestamp"] = now + event["timestamp"]
    client.post("/api/v1/events", json={"events": events}, headers={"X-Write-Key": write_key})
    log_in(client, *admin)
    page = client.get("/sessions").text
    assert ">abc</a>" in page
    assert '<td class="n">35.0</td><td class="n">3</td><td class="n">2</td>' in page


def test_explorer_passes_approximate_long_buckets_to_the_api(logged_in: TestClient) -> None:
    query = {**QUERY, "fn": "distinct_users", "granularity": "total", "approx": "true"}
    page = logged_in.get("/explore", params=query)
    assert page.status_code == 200
    assert 'id="approx" name="approx" type="checkbox" value="true" checked' in page.text
    assert "approx=true" in page.text  # the API link beside the chart asks for it too
    plain = logged_in.get("/explore", params={**query, "approx": "false"})
    assert 'value="true" checked>\n      <label for="approx"' not in plain.text
    assert "approx=true" not in plain.text
