"""``GET /api/v1/web`` end to end, and what the ingest route keeps of a browser's events."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.core.test_visitors import ANDROID_PHONE, CHROME_WINDOWS, IPHONE
from tidings.http.deps import Runtime

WINDOW = "from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z"
SNIPPET = {"library": {"name": "tidings.js", "version": "1"}}


def _view(ts: str, path: str, session: str, **props: Any) -> dict[str, Any]:
    return {
        "namespace": "site",
        "name": "pageView",
        "timestamp": ts,
        "session_id": session,
        "properties": {"path": path, **props},
        "context": {**SNIPPET, "userAgent": "sent by an old snippet", "ip": "203.0.113.9"},
    }


def _post(client: TestClient, key: str, events: list[dict[str, Any]], ua: str) -> None:
    answer = client.post(
        "/api/v1/events",
        content=orjson.dumps({"writeKey": key, "events": events}),
        headers={"Content-Type": "text/plain", "User-Agent": ua},
    )
    assert answer.status_code == 200, answer.text


def _events(client: TestClient, admin: tuple[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/events?limit=1000", auth=admin)
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_browser_events_get_device_properties_and_a_visitor_id(
    client: TestClient, write_key: str, admin: tuple[str, str]
) -> None:
    _post(client, write_key, [_view("2026-03-01T10:00:00Z", "/", "s1")], IPHONE)
    (event,) = _events(client, admin)
    props = event["properties"]
    assert (props["browser"], props["os"], props["device"]) == ("Mobile Safari", "iOS", "mobile")
    assert len(event["anonymous_id"]) == 32
    assert event["context"] == SNIPPET


def test_no_address_or_user_agent_is_stored_anywhere(
    client: TestClient, rt: Runtime, write_key: str
) -> None:
    _post(client, write_key, [_view("2026-03-01T10:00:00Z", "/", "s1")], ANDROID_PHONE)
    with rt.storage.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM events")).all()
    stored = repr(rows)
    assert len(rows) == 1
    for secret in ("testclient", "203.0.113.9", ANDROID_PHONE, "Pixel 8", "old snippet"):
        assert secret not in stored


def test_one_browser_is_one_visitor_and_identify_takes_over(
    client: TestClient, write_key: str, admin: tuple[str, str]
) -> None:
    identified = {**_view("2026-03-01T10:02:00Z", "/b", "s1"), "user_id": "alice"}
    given = {**_view("2026-03-01T10:03:00Z", "/c", "s1"), "anonymous_id": "mine"}
    _post(client, write_key, [_view("2026-03-01T10:00:00Z", "/", "s1")], CHROME_WINDOWS)
    _post(client, write_key, [_view("2026-03-01T10:01:00Z", "/a", "s1")], CHROME_WINDOWS)
    _post(client, write_key, [identified, given], CHROME_WINDOWS)
    by_path = {e["properties"]["path"]: e for e in _events(client, admin)}
    assert by_path["/"]["anonymous_id"] == by_path["/a"]["anonymous_id"]
    assert (by_path["/b"]["user_id"], by_path["/b"]["anonymous_id"]) == ("alice", None)
    assert by_path["/c"]["anonymous_id"] == "mine"


def test_events_not_from_the_snippet_are_left_alone(
    client: TestClient, write_key: str, admin: tuple[str, str]
) -> None:
    server_event = {"namespace": "site", "name": "pageView", "context": {"ip": "198.51.100.1"}}
    _post(client, write_key, [server_event], CHROME_WINDOWS)
    (event,) = _events(client, admin)
    assert event["anonymous_id"] is None
    assert event["properties"] == {}
    assert event["context"] == {"ip": "198.51.100.1"}


@pytest.fixture
def visits(client: TestClient, write_key: str) -> TestClient:
    referred = {"referrer": "https://news.example", "utm_source": "letter"}
    _post(
        client,
        write_key,
        [
            _view("2026-03-01T10:00:00Z", "/", "s1", **referred),
            _view("2026-03-01T10:04:00Z", "/pricing", "s1"),
        ],
        CHROME_WINDOWS,
    )
    _post(client, write_key, [_view("2026-03-02T08:00:00Z", "/pricing", "s2")], IPHONE)
    click = {"namespace": "site", "name": "click", "context": SNIPPET, "session_id": "s2"}
    _post(client, write_key, [click], IPHONE)
    return client


def test_summary_of_known_visits(visits: TestClient, viewer: tuple[str, str]) -> None:
    answer = visits.get(f"/api/v1/web?namespace=site&{WINDOW}", auth=viewer)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert {k: data[k] for k in ("visitors", "pageviews", "sessions")} == {
        "visitors": 2,
        "pageviews": 3,
        "sessions": 2,
    }
    assert data["bounce_rate"] == 0.5
    assert data["avg_session_seconds"] == 120.0
    top = data["top"]
    assert top["pages"] == [
        {"value": "/pricing", "visitors": 2, "pageviews": 2},
        {"value": "/", "visitors": 1, "pageviews": 1},
    ]
    assert top["entry_pages"] == [
        {"value": "/", "visitors": 1, "pageviews": 2},
        {"value": "/pricing", "visitors": 1, "pageviews": 1},
    ]
    assert top["referrers"] == [{"value": "https://news.example", "visitors": 1, "pageviews": 2}]
    assert top["utm_sources"] == [{"value": "letter", "visitors": 1, "pageviews": 2}]
    assert [r["value"] for r in top["devices"]] == ["desktop", "mobile"]
    assert [r["value"] for r in top["os"]] == ["Windows", "iOS"]
    assert [r["value"] for r in top["browsers"]] == ["Chrome", "Mobile Safari"]
    assert data["granularity"] == "hour"  # two days: hourly
    assert len(data["series"]) == 48
    assert data["series"][10] == {
        "start": "2026-03-01T10:00:00+00:00",
        "visitors": 1,
        "pageviews": 2,
    }


def test_filters_limit_and_time_zone_apply(visits: TestClient, viewer: tuple[str, str]) -> None:
    query = f"namespace=site&{WINDOW}&prop.device=mobile&limit=1&granularity=day&tz=Asia/Tokyo"
    data = visits.get(f"/api/v1/web?{query}", auth=viewer).json()
    assert (data["visitors"], data["pageviews"], data["sessions"]) == (1, 1, 1)
    assert data["top"]["pages"] == [{"value": "/pricing", "visitors": 1, "pageviews": 1}]
    assert data["tz"] == "Asia/Tokyo"
    assert data["series"][0]["start"] == "2026-03-01T00:00:00+09:00"
    other = visits.get(f"/api/v1/web?namespace=elsewhere&{WINDOW}", auth=viewer).json()
    assert other["pageviews"] == 0 and other["bounce_rate"] is None


@pytest.mark.parametrize(
    ("window", "granularity"),
    [
        ("from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z", "hour"),
        ("from=2025-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "day"),
        ("from=2022-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "week"),
        ("from=2000-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "month"),
    ],
)
def test_the_series_step_follows_the_range_length(
    client: TestClient, viewer: tuple[str, str], window: str, granularity: str
) -> None:
    answer = client.get(f"/api/v1/web?namespace=site&{window}", auth=viewer)
    assert answer.status_code == 200, answer.text
    assert answer.json()["granularity"] == granularity


def test_the_default_range_is_the_last_thirty_days(
    visits: TestClient, viewer: tuple[str, str]
) -> None:
    data = visits.get("/api/v1/web?namespace=site", auth=viewer).json()
    assert data["granularity"] == "day"
    assert len(data["series"]) in (30, 31)  # 30 days from now, cut by UTC midnights


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tz=Mars/Olympus", "tz"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("granularity=minute", "granularity"),
        ("from=yesterday", "from"),
        ("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from"),
        ("granularity=hour&from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "granularity"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: TestClient, viewer: tuple[str, str], query: str, field: str
) -> None:
    answer = client.get(f"/api/v1/web?namespace=site&{query}", auth=viewer)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == field


def test_readers_only(client: TestClient) -> None:
    answer = client.get("/api/v1/web?namespace=site")
    assert answer.status_code == 401
