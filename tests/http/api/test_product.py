"""``/api/v1/funnel``, ``/api/v1/retention`` and ``/api/v1/persons`` over HTTP: who may ask,
the answer shapes, the default range, and 400s naming the bad parameter."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.credentials import bearer, oauth_token
from tidings.http.deps import Runtime
from tidings.model.timeparse import now_us, to_iso
from tidings.storage import persons

HOUR = 3_600_000_000


@pytest.fixture
def loaded(client: TestClient, rt: Runtime, write_key: str) -> TestClient:
    now = now_us()
    persons.identify(rt.storage.engine, "ada", "cookie", {"email": "ada@example.org"})
    events = [
        {
            "namespace": "shop",
            "name": "view",
            "anonymous_id": "cookie",
            "timestamp": to_iso(now - 5 * HOUR),
            "session_id": "s1",
        },
        {
            "namespace": "shop",
            "name": "buy",
            "user_id": "ada",
            "timestamp": to_iso(now - 4 * HOUR),
            "properties": {"plan": "pro"},
            "session_id": "s1",
        },
        {
            "namespace": "shop",
            "name": "view",
            "user_id": "bob",
            "timestamp": to_iso(now - 3 * HOUR),
        },
        # Older than the default range (30 days): left out unless `from` reaches it.
        {
            "namespace": "shop",
            "name": "view",
            "user_id": "old",
            "timestamp": to_iso(now - 40 * 24 * HOUR),
        },
    ]
    answer = client.post(
        "/api/v1/events", json={"events": events}, headers={"X-Write-Key": write_key}
    )
    assert answer.status_code == 200, answer.text
    return client


def test_funnel_answer(loaded: TestClient, viewer: tuple[str, str]) -> None:
    answer = loaded.get(
        "/api/v1/funnel?step=shop/view&step=shop/buy&step.2.prop.plan=pro", auth=viewer
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "by": "person",
        "window": 86400,
        "steps": [
            {
                "namespace": "shop",
                "name": "view",
                "count": 2,
                "conversion": 1.0,
                "drop_off": 0,
                "median_seconds": None,
            },
            {
                "namespace": "shop",
                "name": "buy",
                "count": 1,
                "conversion": 0.5,
                "drop_off": 1,
                "median_seconds": 3600.0,
            },
        ],
    }
    by_session = loaded.get("/api/v1/funnel?step=shop/view&step=shop/buy&by=session", auth=viewer)
    assert [s["count"] for s in by_session.json()["steps"]] == [1, 1]


def test_retention_answer(loaded: TestClient, viewer: tuple[str, str]) -> None:
    answer = loaded.get(
        "/api/v1/retention?start=shop/view&return=shop/buy&period=day&periods=3&from=0", auth=viewer
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == "day"
    assert sum(c["size"] for c in body["cohorts"]) == 3  # "old" is in range with from=0
    assert all(len(c["returned"]) == 3 for c in body["cohorts"])


def test_persons_list_and_one(loaded: TestClient, viewer: tuple[str, str]) -> None:
    answer = loaded.get("/api/v1/persons?limit=1", auth=viewer)
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert [p["person"] for p in first["persons"]] == ["bob"]
    rest = loaded.get(f"/api/v1/persons?limit=5&after={first['next']}", auth=viewer).json()
    assert [p["person"] for p in rest["persons"]] == ["ada"]  # "old" is outside 30 days
    assert rest["next"] is None
    ada = loaded.get("/api/v1/persons/ada", auth=viewer).json()
    assert ada["anonymous_ids"] == ["cookie"] and ada["events"] == 2
    assert ada["traits"] == {"email": "ada@example.org"}
    searched = loaded.get("/api/v1/persons?search=EXAMPLE", auth=viewer).json()
    assert [p["person"] for p in searched["persons"]] == ["ada"]
    missing = loaded.get("/api/v1/persons/nobody", auth=viewer)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/funnel?step=a/b&step=a/c",
        "/api/v1/retention?start=a/b&return=a/c",
        "/api/v1/persons",
    ],
)
def test_readers_only(client: TestClient, rt: Runtime, path: str) -> None:
    assert client.get(path).status_code == 401
    assert (
        client.get(path, headers=bearer(oauth_token(client, rt, "aggregation"))).status_code == 200
    )
    assert client.get(path, headers=bearer(oauth_token(client, rt, "write"))).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/funnel?step=shop/view", "step"),
        ("/api/v1/funnel?" + "&".join(["step=a/b"] * 11), "step"),
        ("/api/v1/funnel?step=shop&step=shop/buy", "step"),
        ("/api/v1/funnel?step=a/b&step=a/c&window=-1", "window"),
        ("/api/v1/funnel?step=a/b&step=a/c&window=soon", "window"),
        ("/api/v1/funnel?step=a/b&step=a/c&by=device", "by"),
        ("/api/v1/funnel?step=a/b&step=a/c&step.3.prop.k=v", "step.3.prop.k"),
        ("/api/v1/funnel?step=a/b&step=a/c&step.1.plan=v", "step.1.plan"),
        ("/api/v1/funnel?step=a/b&step=a/c&tz=Mars/Base", "tz"),
        ("/api/v1/funnel?step=a/b&step=a/c&from=yesterday", "from"),
        ("/api/v1/retention?return=a/b", "start"),
        ("/api/v1/retention?start=a/b", "return"),
        ("/api/v1/retention?start=a/b&return=a/b&period=year", "period"),
        ("/api/v1/retention?start=a/b&return=a/b&periods=53", "periods"),
        ("/api/v1/retention?start=a/b&return=a/b&periods=0", "periods"),
        ("/api/v1/retention?start=a/b&return=a/b&tz=Nowhere", "tz"),
        ("/api/v1/retention?start=a/b&return=a/b&tz=localtime", "tz"),
        ("/api/v1/persons?limit=0", "limit"),
        ("/api/v1/persons?limit=1001", "limit"),
        ("/api/v1/persons?after=garbage", "after"),
        ("/api/v1/persons?search=" + "x" * 201, "search"),
        ("/api/v1/persons?prop.=1", "prop."),
        ("/api/v1/persons/ada?to=never", "to"),
    ],
)
def test_bad_parameters_are_named(
    client: TestClient, viewer: tuple[str, str], query: str, field: str
) -> None:
    answer = client.get(query, auth=viewer)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_questions_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/funnel",
        "/api/v1/retention",
        "/api/v1/persons",
        "/api/v1/persons/{person}",
    ):
        assert paths[path]["get"]["security"], path
    assert "step.K.prop.KEY" in paths["/api/v1/funnel"]["get"]["description"]
