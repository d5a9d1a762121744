"""The Tracking API (seed-systems.md 3, api.md 3.4): track, aggregate, errors, scopes."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.credentials import api_token, bearer, oauth_token
from tidings.http.deps import Runtime

# The fixture values of seed-systems.md 3.3.
ANDY_CPU = [
    (99, "2019-06-22T13:20:30"),
    (312, "2019-09-01T13:20:37"),
    (10, "2020-06-01T13:20:30"),
    (3, "2020-08-01T13:20:30"),
    (9, "2020-08-05T13:20:30"),
    (1, "2020-09-01T13:20:30"),
]
MOTIUS_FUN = [
    (10, "2020-11-12T10:00:37"),
    (42, "2020-11-12T10:30:37"),
    (9000, "2020-11-12T11:00:37"),
]


@pytest.fixture
def writer_token(client: TestClient, rt: Runtime) -> str:
    return oauth_token(client, rt, "write")


@pytest.fixture
def agg(client: TestClient, rt: Runtime) -> dict[str, str]:
    return bearer(oauth_token(client, rt, "aggregation"))


@pytest.fixture
def fixture_data(client: TestClient, writer_token: str) -> None:
    # Stored newest first, so ascending output cannot come from insertion order.
    for namespace, name, rows in (("andy", "cpu", ANDY_CPU), ("motius", "fun", MOTIUS_FUN)):
        for value, timestamp in reversed(rows):
            answer = client.post(
                "/api/track/",
                json={"namespace": namespace, "name": name, "timestamp": timestamp, "value": value},
                headers=bearer(writer_token),
            )
            assert answer.status_code == 201, answer.text


def _get(client: TestClient, path: str, headers: dict[str, str]) -> list[dict[str, object]]:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    body: list[dict[str, object]] = answer.json()
    return body


# -- observed outputs of seed-systems.md 3.3 ------------------------------------------------
@pytest.mark.usefixtures("fixture_data")
def test_month_avg_merges_the_two_august_events(client: TestClient, agg: dict[str, str]) -> None:
    body = _get(client, "/api/events/andy/cpu?granularity=month&aggregationType=avg", agg)
    assert body == [
        {"value": 99.0, "aggregatedTimestamp": "2019-06-22T13:20:30Z"},
        {"value": 312.0, "aggregatedTimestamp": "2019-09-01T13:20:37Z"},
        {"value": 10.0, "aggregatedTimestamp": "2020-06-01T13:20:30Z"},
        {"value": 6.0, "aggregatedTimestamp": "2020-08-01T13:20:30Z"},
        {"value": 1.0, "aggregatedTimestamp": "2020-09-01T13:20:30Z"},
    ]


@pytest.mark.usefixtures("fixture_data")
def test_year_gives_the_exact_observed_output(client: TestClient, agg: dict[str, str]) -> None:
    answer = client.get("/api/events/andy/cpu?granularity=year", headers=agg)
    assert answer.content == (
        b'[{"value":205.5,"aggregatedTimestamp":"2019-06-22T13:20:30Z"},'
        b'{"value":5.75,"aggregatedTimestamp":"2020-06-01T13:20:30Z"}]'
    )


@pytest.mark.usefixtures("fixture_data")
def test_week_max_separates_saturday_and_wednesday(client: TestClient, agg: dict[str, str]) -> None:
    body = _get(client, "/api/events/andy/cpu?granularity=week&aggregationType=max", agg)
    assert body == [
        {"value": 99, "aggregatedTimestamp": "2019-06-22T13:20:30Z"},
        {"value": 312, "aggregatedTimestamp": "2019-09-01T13:20:37Z"},
        {"value": 10, "aggregatedTimestamp": "2020-06-01T13:20:30Z"},
        {"value": 3, "aggregatedTimestamp": "2020-08-01T13:20:30Z"},
        {"value": 9, "aggregatedTimestamp": "2020-08-05T13:20:30Z"},
        {"value": 1, "aggregatedTimestamp": "2020-09-01T13:20:30Z"},
    ]


@pytest.mark.usefixtures("fixture_data")
def test_hour_avg_labels_buckets_with_their_earliest_event(
    client: TestClient, agg: dict[str, str]
) -> None:
    body = _get(client, "/api/events/motius/fun?granularity=hour", agg)
    assert body == [
        {"value": 26.0, "aggregatedTimestamp": "2020-11-12T10:00:37Z"},
        {"value": 9000.0, "aggregatedTimestamp": "2020-11-12T11:00:37Z"},
    ]


@pytest.mark.usefixtures("fixture_data")
def test_day_avg_is_the_observed_float(client: TestClient, agg: dict[str, str]) -> None:
    body = _get(client, "/api/events/motius/fun?granularity=day", agg)
    assert body == [{"value": 3017.3333333333335, "aggregatedTimestamp": "2020-11-12T10:00:37Z"}]


@pytest.mark.usefixtures("fixture_data")
def test_both_bounds_window_the_months(client: TestClient, agg: dict[str, str]) -> None:
    path = "/api/events/andy/cpu?granularity=month&tsMin=1596240000&tsMax=1599000000"
    assert _get(client, path, agg) == [
        {"value": 6.0, "aggregatedTimestamp": "2020-08-01T13:20:30Z"},
        {"value": 1.0, "aggregatedTimestamp": "2020-09-01T13:20:30Z"},
    ]


@pytest.mark.usefixtures("fixture_data")
def test_bounds_are_inclusive(client: TestClient, agg: dict[str, str]) -> None:
    path = "/api/events/andy/cpu?tsMin=1596288030&tsMax=1596288030"
    assert _get(client, path, agg) == [
        {"value": 3.0, "aggregatedTimestamp": "2020-08-01T13:20:30Z"}
    ]


@pytest.mark.usefixtures("fixture_data")
def test_an_unknown_pair_is_an_empty_list(client: TestClient, agg: dict[str, str]) -> None:
    assert _get(client, "/api/events/andy/memory", agg) == []


# -- the fixes of api.md 3.4 -----------------------------------------------------------------
@pytest.mark.usefixtures("fixture_data")
def test_one_bound_alone_is_honoured(client: TestClient, agg: dict[str, str]) -> None:
    # 1596288030 is 2020-08-01T13:20:30Z, the event with value 3.
    after = _get(client, "/api/events/andy/cpu?granularity=year&tsMin=1596288030", agg)
    assert after == [{"value": 13 / 3, "aggregatedTimestamp": "2020-08-01T13:20:30Z"}]
    before = _get(client, "/api/events/andy/cpu?granularity=year&tsMax=1596288030", agg)
    assert before == [
        {"value": 205.5, "aggregatedTimestamp": "2019-06-22T13:20:30Z"},
        {"value": 6.5, "aggregatedTimestamp": "2020-06-01T13:20:30Z"},
    ]


@pytest.mark.usefixtures("fixture_data")
def test_sum_and_count_are_offered(client: TestClient, agg: dict[str, str]) -> None:
    path = "/api/events/andy/cpu?granularity=year&aggregationType="
    assert [b["value"] for b in _get(client, path + "sum", agg)] == [411, 23]
    assert [b["value"] for b in _get(client, path + "count", agg)] == [2, 4]
    assert [b["value"] for b in _get(client, path + "min", agg)] == [99, 1]


@pytest.mark.parametrize(
    "query",
    [
        "tsMin=abc",
        "tsMax=1.5",
        "tsMin=",
        "granularity=fortnight",
        "granularity=total",
    ],
)
def test_bad_parameters_give_400_with_detail(
    client: TestClient, agg: dict[str, str], query: str
) -> None:
    answer = client.get(f"/api/events/andy/cpu?{query}", headers=agg)
    assert answer.status_code == 400
    assert list(answer.json()) == ["detail"]
    assert query.split("=")[0] in answer.json()["detail"]


@pytest.mark.usefixtures("fixture_data")
@pytest.mark.parametrize("name", ["AVG", "Avg", "MIN", "Max", "SUM", "Count"])
def test_aggregation_type_names_match_in_any_case(
    client: TestClient, agg: dict[str, str], name: str
) -> None:
    path = "/api/events/andy/cpu?granularity=year&aggregationType="
    assert _get(client, path + name, agg) == _get(client, path + name.lower(), agg)


@pytest.mark.usefixtures("fixture_data")
@pytest.mark.parametrize("name", ["bogus", "median", "mean", "", " min", "p95", "\u017fum"])
def test_an_unknown_aggregation_type_is_the_average_as_the_original(
    client: TestClient, agg: dict[str, str], name: str
) -> None:
    # The original answered every value it did not know with the average (seed-systems.md 3.3).
    path = "/api/events/motius/fun?granularity=day&aggregationType="
    assert _get(client, path + name, agg) == [
        {"value": 3017.3333333333335, "aggregatedTimestamp": "2020-11-12T10:00:37Z"}
    ]


def test_none_groups_events_with_identical_timestamps(
    client: TestClient, writer_token: str, agg: dict[str, str]
) -> None:
    for value, timestamp in ((4, "2021-01-01T00:00:00"), (8, "2021-01-01T00:00:00"), (1, None)):
        event = {"namespace": "n", "name": "e", "value": value}
        if timestamp:
            event["timestamp"] = timestamp
        else:
            event["timestamp"] = "2021-01-01T00:00:00.250000Z"
        assert client.post("/api/track/", json=event, headers=bearer(writer_token)).is_success
    assert _get(client, "/api/events/n/e", agg) == [
        {"value": 6.0, "aggregatedTimestamp": "2021-01-01T00:00:00Z"},
        {"value": 1.0, "aggregatedTimestamp": "2021-01-01T00:00:00.250000Z"},
    ]


# -- POST /api/track/ -----------------------------------------------------------------------
def test_track_answers_201_with_the_event(client: TestClient, writer_token: str) -> None:
    answer = client.post(
        "/api/track/",
        json={
            "namespace": "Frontend",
            "name": "pageView",
            "timestamp": "2020-11-12T11:10:00",
            "value": 42,
        },
        headers=bearer(writer_token),
    )
    assert answer.status_code == 201
    body = answer.json()
    assert list(body) == ["id", "name", "namespace", "timestamp", "value"]
    assert len(body["id"]) == 36 and body["id"].count("-") == 4
    assert body["name"] == "pageView" and body["namespace"] == "Frontend"
    assert body["timestamp"] == "2020-11-12T11:10:00Z"
    assert body["value"] == 42


def test_track_answers_the_message_id_the_event_is_listed_with(
    client: TestClient, writer_token: str, admin: tuple[str, str]
) -> None:
    answers = [
        client.post(
            "/api/track/",
            json={"namespace": "n", "name": "e", "value": 1},
            headers=bearer(writer_token),
        ).json()["id"]
        for _ in range(2)
    ]
    listed = client.get("/api/v1/events?namespace=n", auth=admin).json()["events"]
    assert [e["message_id"] for e in listed] == answers
    assert answers[0] != answers[1]


def test_track_converts_offsets_to_utc_and_accepts_any_number(
    client: TestClient, writer_token: str
) -> None:
    answer = client.post(
        "/api/track/",
        json={
            "namespace": "a",
            "name": "b",
            "timestamp": "2020-11-12T11:10:00+02:00",
            "value": 1.5,
        },
        headers=bearer(writer_token),
    )
    assert answer.status_code == 201
    assert answer.json()["timestamp"] == "2020-11-12T09:10:00Z"
    assert answer.json()["value"] == 1.5
    for given, stored in (("12", 12), (12.0, 12), ("-0.25", -0.25)):
        body = client.post(
            "/api/track/",
            json={"namespace": "a", "name": "b", "value": given},
            headers=bearer(writer_token),
        ).json()
        assert body["value"] == stored


def test_track_without_timestamp_uses_the_server_clock(
    client: TestClient, writer_token: str
) -> None:
    answer = client.post(
        "/api/track/",
        json={"namespace": "a", "name": "b", "value": 1},
        headers=bearer(writer_token),
    )
    assert answer.status_code == 201
    assert answer.json()["timestamp"].endswith("Z")


def test_track_accepts_form_bodies(client: TestClient, writer_token: str) -> None:
    answer = client.post(
        "/api/track/",
        data={"namespace": "f", "name": "g", "value": "7", "timestamp": ""},
        headers=bearer(writer_token),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["value"] == 7


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        (
            {},
            {
                "name": ["This field is required."],
                "namespace": ["This field is required."],
                "value": ["This field is required."],
            },
        ),
        ({"namespace": "a", "name": "", "value": 1}, {"name": ["This field may not be blank."]}),
        (
            {"namespace": "a" * 121, "name": "b", "value": 1},
            {"namespace": ["Ensure this field has no more than 120 characters."]},
        ),
        ({"namespace": "a", "name": "b", "value": "x"}, {"value": ["A valid number is required."]}),
        (
            {"namespace": "a", "name": "b", "value": True},
            {"value": ["A valid number is required."]},
        ),
        (
            {"namespace": "a", "name": "b", "value": None},
            {"value": ["This field may not be null."]},
        ),
        ({"namespace": "a", "name": ["b"], "value": 1}, {"name": ["Not a valid string."]}),
        (
            {"namespace": "a", "name": "b", "value": 1, "timestamp": "yesterday"},
            {
                "timestamp": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"namespace": "a\u0000", "name": "b", "value": 1},
            {"namespace": ["Null characters are not allowed."]},
        ),
    ],
)
def test_track_field_errors_are_drf_shaped(
    client: TestClient, rt: Runtime, writer_token: str, event: dict[str, object], errors: object
) -> None:
    before = rt.storage.count_events()
    answer = client.post("/api/track/", json=event, headers=bearer(writer_token))
    assert answer.status_code == 400
    assert answer.json() == errors
    assert rt.storage.count_events() == before


def test_track_rejects_a_non_object_and_bad_json(client: TestClient, writer_token: str) -> None:
    answer = client.post("/api/track/", json=[1], headers=bearer(writer_token))
    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    answer = client.post(
        "/api/track/",
        content=b"{oops",
        headers={**bearer(writer_token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("JSON parse error - ")
    answer = client.post(
        "/api/track/",
        content=b"name=a",
        headers={**bearer(writer_token), "Content-Type": "text/plain"},
    )
    assert answer.status_code == 415


def test_track_body_over_the_limit_is_413(client: TestClient, writer_token: str) -> None:
    big = {"namespace": "a", "name": "b", "value": 1, "pad": "x" * (1024 * 1024 + 1)}
    answer = client.post("/api/track/", json=big, headers=bearer(writer_token))
    assert answer.status_code == 413
    assert "detail" in answer.json()


# -- authentication and scopes ---------------------------------------------------------------
def test_no_or_unknown_token_is_401_with_bearer_challenge(client: TestClient) -> None:
    for headers in ({}, bearer("ot_not-a-token")):
        for method, path in (("POST", "/api/track/"), ("GET", "/api/events/a/b")):
            answer = client.request(method, path, headers=headers, json={})
            assert answer.status_code == 401
            assert answer.json() == {"detail": "Authentication credentials were not provided."}
            assert answer.headers["www-authenticate"] == 'Bearer realm="api"'


def test_write_token_cannot_aggregate(client: TestClient, writer_token: str) -> None:
    answer = client.get("/api/events/andy/cpu", headers=bearer(writer_token))
    assert answer.status_code == 403
    assert answer.json() == {"detail": "You do not have permission to perform this action."}


def test_aggregation_token_cannot_track(
    client: TestClient, rt: Runtime, agg: dict[str, str]
) -> None:
    answer = client.post(
        "/api/track/", json={"namespace": "a", "name": "b", "value": 1}, headers=agg
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": "You do not have permission to perform this action."}
    assert rt.storage.count_events() == 0


def test_get_on_track_checks_scope_before_method(client: TestClient, rt: Runtime) -> None:
    read = bearer(oauth_token(client, rt, "read"))
    answer = client.get("/api/track/", headers=read)
    assert answer.status_code == 405
    assert answer.json() == {"detail": 'Method "GET" not allowed.'}
    write_only = bearer(oauth_token(client, rt, "write"))
    assert client.get("/api/track/", headers=write_only).status_code == 403


def test_a_viewer_api_token_may_aggregate_but_not_track(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    headers = bearer(api_token(rt, viewer[0]))
    assert client.get("/api/events/a/b", headers=headers).status_code == 200
    answer = client.post(
        "/api/track/", json={"namespace": "a", "name": "b", "value": 1}, headers=headers
    )
    assert answer.status_code == 403


# -- the events are core events --------------------------------------------------------------
@pytest.mark.usefixtures("fixture_data")
def test_tracked_events_are_visible_through_the_native_api(
    client: TestClient, admin: tuple[str, str]
) -> None:
    answer = client.get("/api/v1/events?namespace=andy&name=cpu", auth=admin)
    assert answer.status_code == 200
    events = answer.json()["events"]
    assert sorted(e["value"] for e in events) == [1, 3, 9, 10, 99, 312]
    assert {e["source"] for e in events} == {events[0]["source"]}
    assert events[0]["source"].startswith("oauth.")
    totals = client.get(
        "/api/v1/aggregate?namespace=andy&name=cpu&granularity=total&fn=sum"
        "&from=2019-01-01T00:00:00Z&to=2021-01-01T00:00:00Z",
        auth=admin,
    ).json()
    assert totals["buckets"][0]["value"] == 434


def test_native_events_count_in_tracking_aggregates(
    client: TestClient, write_key: str, agg: dict[str, str]
) -> None:
    event = {"namespace": "web", "name": "load", "value": 5, "timestamp": "2022-02-02T02:02:02Z"}
    assert client.post("/api/v1/events", json=event, headers={"X-Write-Key": write_key}).is_success
    assert _get(client, "/api/events/web/load?aggregationType=sum", agg) == [
        {"value": 5, "aggregatedTimestamp": "2022-02-02T02:02:02Z"}
    ]
