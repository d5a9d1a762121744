"""``GET /api/v1/aggregate`` breakdowns: ``limit``, ``"(other)"``, ``groups_total``, with the
analytics tier on and off; bad limits are 400s naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tidings.app import create_app
from tidings.config import Settings
from tidings.core.analytics.tier import Tier
from tidings.http.deps import Runtime

WINDOW = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z"
PATHS = ["/a"] * 5 + ["/b"] * 3 + ["/c"] * 3 + ["/d"] + [None] * 3


def _events() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, path in enumerate(PATHS):
        event: dict[str, object] = {
            "namespace": "site",
            "name": "view",
            "user_id": f"u{i % 4}",
            "timestamp": f"2026-03-{10 + i % 5:02d}T12:00:00Z",
        }
        if path is not None:
            event["properties"] = {"path": path}
        out.append(event)
    return out


@pytest.fixture(params=["on", "off"])
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=str(tmp_path / "data"), admin_password=ADMIN[1], analytics=request.param
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        rt: Runtime = client.app.app.state.runtime  # type: ignore[attr-defined]
        assert isinstance(rt.event_sql, Tier) == (request.param == "on")
        key = "agg-key"
        from tidings.core.auth import secret_hash

        rt.storage.create_source("web", secret_hash(key), None)
        answer = client.post(
            "/api/v1/events", json={"events": _events()}, headers={"X-Write-Key": key}
        )
        assert answer.status_code == 200, answer.text
        yield client


def _get(client: TestClient, query: str) -> dict[str, object]:
    answer = client.get(f"/api/v1/aggregate?namespace=site&{WINDOW}&{query}", auth=ADMIN)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_limit_keeps_the_biggest_groups_and_folds_the_rest_into_other(
    loaded: TestClient,
) -> None:
    body = _get(loaded, "granularity=total&group_by=prop.path&limit=2")
    groups = {b["group"]: b["value"] for b in body["buckets"]}  # type: ignore[union-attr,index]
    # /b and /c tie at 3 with null: the value breaks the tie, null after the values.
    assert groups == {"/a": 5, "/b": 3, "(other)": 7}
    assert body["groups_total"] == 5


def test_distinct_users_of_other_are_counted_over_the_other_groups_together(
    loaded: TestClient,
) -> None:
    body = _get(loaded, "granularity=total&group_by=prop.path&limit=1&fn=distinct_users")
    groups = {b["group"]: (b["value"], b["count"]) for b in body["buckets"]}  # type: ignore[union-attr,index]
    assert groups == {"/a": (4, 5), "(other)": (4, 10)}


def test_without_limit_every_group_is_listed_up_to_fifty(loaded: TestClient) -> None:
    body = _get(loaded, "granularity=day&group_by=name&fn=sum")
    assert body["groups_total"] == 1
    assert sum(b["count"] for b in body["buckets"]) == len(PATHS)  # type: ignore[union-attr,index]


@pytest.mark.parametrize("limit", ["0", "1001", "x"])
def test_a_bad_limit_is_a_400_naming_it(loaded: TestClient, limit: str) -> None:
    answer = loaded.get(
        f"/api/v1/aggregate?namespace=site&{WINDOW}&group_by=name&limit={limit}", auth=ADMIN
    )
    assert answer.status_code == 400
    assert "limit" in answer.text
