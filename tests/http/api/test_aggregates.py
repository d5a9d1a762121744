from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tidings.core import sealing
from tidings.http.deps import Runtime

EVENTS = [
    {
        "namespace": "shop",
        "name": "buy",
        "value": 10,
        "user_id": "u1",
        "properties": {"plan": "pro"},
        "timestamp": "2026-03-28T22:30:00Z",
    },
    {
        "namespace": "shop",
        "name": "buy",
        "value": 20,
        "user_id": "u2",
        "properties": {"plan": "free"},
        "timestamp": "2026-03-29T08:00:00Z",
    },
    {
        "namespace": "shop",
        "name": "buy",
        "value": 30,
        "user_id": "u1",
        "properties": {"plan": "pro"},
        "timestamp": "2026-03-30T12:00:00Z",
    },
    {
        "namespace": "shop",
        "name": "view",
        "value": 1,
        "user_id": "u3",
        "timestamp": "2026-03-30T12:00:00Z",
    },
]
WINDOW = "from=2026-03-28T00:00:00Z&to=2026-04-01T00:00:00Z"


@pytest.fixture
def loaded(client: TestClient, write_key: str) -> TestClient:
    answer = client.post(
        "/api/v1/events", json={"events": EVENTS}, headers={"X-Write-Key": write_key}
    )
    assert answer.status_code == 200
    return client


def _agg(client: TestClient, auth: tuple[str, str], query: str) -> dict[str, object]:
    answer = client.get(f"/api/v1/aggregate?namespace=shop&{WINDOW}&{query}", auth=auth)
    assert answer.status_code == 200, answer.text
    data: dict[str, object] = answer.json()
    return data


def test_daily_sums_in_a_time_zone(loaded: TestClient, viewer: tuple[str, str]) -> None:
    data = _agg(loaded, viewer, "name=buy&fn=sum&granularity=day&tz=Europe/Berlin")
    assert data["tz"] == "Europe/Berlin"
    # 22:30Z on the 28th is already the 28th 23:30 in Berlin; DST starts on the 29th.
    assert data["buckets"] == [
        {"start": "2026-03-28T00:00:00+01:00", "value": 10.0, "count": 1},
        {"start": "2026-03-29T00:00:00+01:00", "value": 20.0, "count": 1},
        {"start": "2026-03-30T00:00:00+02:00", "value": 30.0, "count": 1},
    ]


def test_fill_reports_empty_buckets(loaded: TestClient, viewer: tuple[str, str]) -> None:
    data = _agg(loaded, viewer, "name=buy&fn=count&granularity=day&fill=true")
    assert [b["value"] for b in data["buckets"]] == [1, 1, 1, 0]  # type: ignore[index, union-attr]


def test_total_distinct_users_and_percentiles(loaded: TestClient, viewer: tuple[str, str]) -> None:
    assert _agg(loaded, viewer, "fn=distinct_users&granularity=total")["buckets"] == [
        {"start": "2026-03-28T00:00:00+00:00", "value": 3, "count": 4}
    ]
    p50 = _agg(loaded, viewer, "name=buy&fn=p50&granularity=total")["buckets"]
    assert p50[0]["value"] == 20.0  # type: ignore[index]


def test_group_by_name_and_property(loaded: TestClient, viewer: tuple[str, str]) -> None:
    by_name = _agg(loaded, viewer, "fn=count&granularity=total&group_by=name")["buckets"]
    assert {b["group"]: b["value"] for b in by_name} == {"buy": 3, "view": 1}  # type: ignore[union-attr, index]
    by_plan = _agg(loaded, viewer, "name=buy&fn=sum&granularity=total&group_by=prop.plan")[
        "buckets"
    ]
    assert {b["group"]: b["value"] for b in by_plan} == {"pro": 40.0, "free": 20.0}  # type: ignore[union-attr, index]


def test_approx_merges_sealed_days_and_says_what_exact_says_on_small_sets(
    loaded: TestClient, viewer: tuple[str, str], rt: Runtime
) -> None:
    assert sealing.seal(rt.storage) == 4  # buy on three days, view on one
    query = "name=buy&granularity=total&fn="
    exact = _agg(loaded, viewer, query + "distinct_users")["buckets"]
    approx = _agg(loaded, viewer, query + "distinct_users&approx=true")["buckets"]
    assert approx == exact == [{"start": "2026-03-28T00:00:00+00:00", "value": 2, "count": 3}]
    p50 = _agg(loaded, viewer, query + "p50&approx=1")["buckets"]
    assert p50[0]["count"] == 3  # type: ignore[index]
    assert p50[0]["value"] == pytest.approx(20.0, rel=0.01)  # type: ignore[index]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("fn=median", "fn"),
        ("granularity=fortnight", "granularity"),
        ("tz=Mars/Base", "tz"),
        ("group_by=colour", "group_by"),
        ("fill=maybe", "fill"),
        ("approx=yes", "approx"),
        ("from=later", "from"),
        ("granularity=minute&from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "granularity"),
    ],
)
def test_bad_aggregate_parameters_name_the_field(
    client: TestClient, viewer: tuple[str, str], query: str, field: str
) -> None:
    answer = client.get(f"/api/v1/aggregate?{query}", auth=viewer)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == field


def test_aggregate_needs_a_reader(client: TestClient) -> None:
    answer = client.get("/api/v1/aggregate")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
