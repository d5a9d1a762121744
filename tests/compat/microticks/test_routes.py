"""The Microticks compat API in process: documented samples, every error, the fixes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.credentials import api_token, bearer, oauth_token
from tidings.compat.microticks import queries
from tidings.compat.microticks import sessions as microticks
from tidings.compat.microticks import store as db
from tidings.compat.microticks.queries import ListQuery, SessionFilter
from tidings.config import Settings
from tidings.core.auth import secret_hash
from tidings.errors import Overloaded
from tidings.http.deps import Runtime
from tidings.model.records import EventFilter

KEY = "s3cret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path / "data"), admin_password=ADMIN[1], microticks_key=KEY)


@pytest.fixture
def consumer_key(rt: Runtime) -> str:
    _, key = microticks.create_consumer(rt.storage, "lib")
    return key


def _post(client: TestClient, path: str, **fields: str) -> httpx2.Response:
    return client.post(path, data=fields)


def _session(client: TestClient, key: str, ts: str = "2017-08-25T17:10:00.000Z") -> str:
    answer = _post(client, "/sessions", consumer_key=key, ts=ts)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def _click(client: TestClient, token: str, ts: str, data: str = "{}") -> httpx2.Response:
    return _post(client, "/events", token=token, action="click", data=data, ts=ts)


def test_documented_samples_end_to_end(client: TestClient, consumer_key: str) -> None:
    started = _post(client, "/sessions", consumer_key=consumer_key, ts="2017-08-25T17:10:00.000Z")
    assert started.status_code == 200
    token = started.json()["token"]
    assert started.text == f'{{"status":200,"token":"{token}"}}'
    assert len(token) == 32 and int(token, 16) >= 0
    first = _click(
        client,
        token,
        "2017-08-25T17:10:01.000Z",
        '{"target":"some_element","clickX":406,"clickY":300}',
    )
    assert first.status_code == 200
    assert first.text == '{"event_id":1,"status":200}'
    second = _click(client, token, "2017-08-25T17:10:02.000Z", "not-json")
    assert second.json() == {"event_id": 2, "status": 200}
    stopped = _post(client, "/sessions/stop", ts="2017-08-25T17:11:00.000Z", token=token)
    assert stopped.status_code == 200 and stopped.text == '{"status":200}'

    events = client.get("/events", params={"key": KEY})
    assert events.status_code == 200
    assert events.text.startswith('{"count":2,"events":[{"action":"click","data":{"clickX":406')
    assert events.json() == {
        "count": 2,
        "events": [
            {
                "action": "click",
                "data": {"clickX": 406, "clickY": 300, "target": "some_element"},
                "id": 1,
                "session_id": 1,
                "time": "2017-08-25T17:10:01.000Z",
            },
            {
                "action": "click",
                "data": "not-json",
                "id": 2,
                "session_id": 1,
                "time": "2017-08-25T17:10:02.000Z",
            },
        ],
        "status": 200,
    }
    sessions = client.get("/sessions", params={"key": KEY, "date": "2017-08-25"})
    assert sessions.json() == {
        "count": 1,
        "sessions": [
            {
                "clicks": 2,
                "consumer_id": 1,
                "id": 1,
                "last_action": "2017-08-25T17:10:02.000Z",
                "started_at": "2017-08-25T17:10:00.000Z",
                "stopped_at": "2017-08-25T17:11:00.000Z",
            }
        ],
        "status": 200,
    }


def test_microticks_events_are_core_events(
    client: TestClient, consumer_key: str, viewer: tuple[str, str], rt: Runtime
) -> None:
    token = _session(client, consumer_key)
    _click(client, token, "2017-08-25T17:10:01.500Z", '{"target":"nav","clickX":1}')
    _post(client, "/events", token=token, action="search", data="", ts="2017-08-25T17:10:03Z")
    listed = client.get("/api/v1/events", params={"source": "lib"}, auth=viewer).json()["events"]
    assert [(e["source"], e["namespace"], e["name"]) for e in listed] == [
        ("lib", "microticks", "click"),
        ("lib", "microticks", "search"),
    ]
    assert listed[0]["properties"] == {"target": "nav", "clickX": 1}
    assert listed[0]["timestamp"] == "2017-08-25T17:10:01.500000Z"
    session = queries.list_sessions(rt.storage.engine, ListQuery(SessionFilter(), (), 10, 0))[0]
    # The core event names the session by its public id, never by the secret token.
    assert {e["session_id"] for e in listed} == {session.public_id}
    assert token not in json.dumps(listed)
    counted = client.get(
        "/api/v1/aggregate",
        params={
            "namespace": "microticks",
            "name": "click",
            "granularity": "total",
            "from": "2017-08-25",
            "to": "2017-08-26",
        },
        auth=viewer,
    ).json()
    assert counted["buckets"][0]["count"] == 1
    by_session = client.get(
        "/api/v1/events", params={"session_id": session.public_id}, auth=viewer
    ).json()
    assert len(by_session["events"]) == 2


def test_tokens_and_keys_are_stored_only_as_hashes(
    client: TestClient, consumer_key: str, settings: Settings
) -> None:
    token = _session(client, consumer_key)
    # The database, its write-ahead log and anything else in the data dir.
    stored = b"".join(p.read_bytes() for p in Path(settings.data_dir).iterdir() if p.is_file())
    assert secret_hash(token).encode() in stored
    assert token.encode() not in stored
    assert consumer_key.encode() not in stored


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Invalid consumer_key"),
        ({"ts": "2017-08-25T17:10:00Z"}, "Invalid consumer_key"),
        ({"consumer_key": "0" * 32, "ts": "2017-08-25T17:10:00Z"}, "Invalid consumer_key"),
        ({"consumer_key": "", "ts": "2017-08-25T17:10:00Z"}, "Invalid consumer_key"),
        ({"consumer_key": "{key}"}, 'No "ts" parameter provided'),
        ({"consumer_key": "{key}", "ts": "yesterday"}, 'Invalid "ts" parameter'),
    ],
)
def test_start_session_errors_in_the_documented_order(
    client: TestClient, consumer_key: str, rt: Runtime, fields: dict[str, str], message: str
) -> None:
    fields = {k: v.replace("{key}", consumer_key) for k, v in fields.items()}
    answer = _post(client, "/sessions", **fields)
    assert answer.status_code == 400
    assert answer.json()["status"] == 400
    assert answer.json()["error"].startswith(message)
    assert queries.list_sessions(rt.storage.engine, ListQuery(SessionFilter(), (), 10, 0)) == []


def test_deleted_consumer_is_not_active(client: TestClient, consumer_key: str, rt: Runtime) -> None:
    token = _session(client, consumer_key)
    assert db.delete_consumer(rt.storage.engine, "lib")
    answer = _post(client, "/sessions", consumer_key=consumer_key, ts="2017-08-25T17:10:00Z")
    assert answer.status_code == 400
    assert answer.json() == {"error": "Consumer is not active.", "status": 400}
    late = _click(client, token, "2017-08-25T17:10:05Z")
    assert late.json() == {"error": "Consumer is not active.", "status": 400}
    assert rt.storage.count_events() == 0


@pytest.mark.parametrize(
    ("fields", "status", "body"),
    [
        ({}, 400, {"error": 'No "ts" parameter provided'}),
        ({"token": "x"}, 400, {"error": 'No "ts" parameter provided'}),
        ({"ts": "2017-08-25T17:11:00Z"}, 400, {"error": 'No "token" parameter provided'}),
        (
            {"ts": "2017-08-25T17:11:00Z", "token": "0" * 32},
            400,
            {"description": "Could not find session"},
        ),
    ],
)
def test_stop_session_errors_in_the_documented_order(
    client: TestClient, fields: dict[str, str], status: int, body: dict[str, str]
) -> None:
    answer = _post(client, "/sessions/stop", **fields)
    assert answer.status_code == status
    assert answer.json() == {**body, "status": status}


def test_stopping_twice_and_events_after_the_stop_are_rejected(
    client: TestClient, consumer_key: str, rt: Runtime
) -> None:
    token = _session(client, consumer_key)
    assert _post(client, "/sessions/stop", ts="2017-08-25T17:11:00Z", token=token).is_success
    again = _post(client, "/sessions/stop", ts="2017-08-25T17:12:00Z", token=token)
    assert again.status_code == 400
    assert again.json() == {"description": "Session was already stopped.", "status": 400}
    late = _click(client, token, "2017-08-25T17:12:00Z")
    assert late.status_code == 400
    assert late.json() == {"description": "Session was already stopped.", "status": 400}
    assert rt.storage.count_events() == 0


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({}, {"error": 'No "token" parameter provided'}),
        ({"action": "click", "data": "", "ts": "1"}, {"error": 'No "token" parameter provided'}),
        ({"token": "{token}", "data": "", "ts": "1"}, {"error": 'No "action" parameter provided'}),
        ({"token": "{token}", "action": "a", "ts": "1"}, {"error": 'No "data" parameter provided'}),
        ({"token": "{token}", "action": "a", "data": ""}, {"error": 'No "ts" parameter provided'}),
        (
            {"token": "{token}", "action": "", "data": "", "ts": "2017-08-25T17:10:01Z"},
            {"error": 'The "action" parameter must be 1 to 200 characters'},
        ),
        (
            {"token": "{token}", "action": "a", "data": "", "ts": "soon"},
            {"error": "Invalid \"ts\" parameter: 'soon' is not an ISO 8601 timestamp"},
        ),
        (
            {"token": "{token}", "action": "a", "data": "\x00", "ts": "2017-08-25T17:10:01Z"},
            {"error": 'The "data" parameter must not contain NUL characters'},
        ),
        (
            {"token": "0" * 32, "action": "a", "data": "", "ts": "2017-08-25T17:10:01Z"},
            {"description": "Could not find session"},
        ),
    ],
)
def test_event_errors_in_the_documented_order(
    client: TestClient,
    consumer_key: str,
    rt: Runtime,
    fields: dict[str, str],
    body: dict[str, str],
) -> None:
    token = _session(client, consumer_key)
    fields = {k: v.replace("{token}", token) for k, v in fields.items()}
    answer = _post(client, "/events", **fields)
    assert answer.status_code == 400
    assert answer.json() == {**body, "status": 400}
    assert rt.storage.count_events() == 0


def test_empty_data_and_json_values_are_given_back_as_sent(
    client: TestClient, consumer_key: str
) -> None:
    token = _session(client, consumer_key)
    sent = ["", "not-json", "[1, 2]", '"text"', "5", "null", "{}", '{"a": {"b": [true]}}']
    for index, data in enumerate(sent):
        ts = f"2017-08-25T17:10:{index:02d}.000Z"
        assert _post(client, "/events", token=token, action="a", data=data, ts=ts).is_success
    listed = client.get("/events", params={"key": KEY}).json()["events"]
    assert [e["data"] for e in listed] == [
        "",
        "not-json",
        [1, 2],
        "text",
        5,
        None,
        {},
        {"a": {"b": [True]}},
    ]


def test_json_bodies_are_accepted(client: TestClient, consumer_key: str) -> None:
    started = client.post("/sessions", json={"consumer_key": consumer_key, "ts": 1503680999438})
    token = started.json()["token"]
    event = client.post(
        "/events",
        json={
            "token": token,
            "action": "click",
            "data": {"clickX": 1},
            "ts": "2017-08-25T17:10:01Z",
        },
    )
    assert event.json() == {"event_id": 1, "status": 200}
    stopped = client.post("/sessions/stop", json={"token": token, "ts": "2017-08-25T17:11:00Z"})
    assert stopped.json() == {"status": 200}
    listed = client.get("/sessions", params={"key": KEY}).json()["sessions"]
    assert listed[0]["started_at"] == "2017-08-25T17:09:59.438Z"
    bad = client.post("/sessions", content=b"[1]", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"] == "body: must be a JSON object"


def test_gzip_and_oversize_bodies(
    client: TestClient, consumer_key: str, rt: Runtime, settings: Settings
) -> None:
    token = _session(client, consumer_key)
    form = f"token={token}&action=click&data=%7B%7D&ts=2017-08-25T17:10:01Z".encode()
    zipped = client.post(
        "/events", content=gzip.compress(form), headers={**FORM, "Content-Encoding": "gzip"}
    )
    assert zipped.json() == {"event_id": 1, "status": 200}
    huge = form + b"&pad=" + b"x" * settings.max_body_bytes
    too_big = client.post("/events", content=huge, headers=FORM)
    assert too_big.status_code == 413
    assert too_big.json()["status"] == 413
    big_data = "x" * (settings.max_event_bytes + 1)
    too_much = _post(client, "/events", token=token, action="a", data=big_data, ts="1503680999")
    assert too_much.status_code == 400 and "data" in too_much.json()["error"]
    assert rt.storage.count_events() == 1


def test_reading_needs_a_key_or_a_reader(client: TestClient, viewer: tuple[str, str]) -> None:
    for path in ("/events", "/sessions"):
        missing = client.get(path)
        assert missing.status_code == 401
        assert missing.json() == {
            "description": 'Please specify an API key using the "key" query string parameter.',
            "status": 401,
        }
        assert "WWW-Authenticate" in missing.headers
        wrong = client.get(path, params={"key": "s3cret-not"})
        assert wrong.status_code == 401
        assert wrong.json() == {
            "description": "The key does not seem to be the right one.",
            "status": 401,
        }
        assert client.get(path, params={"key": KEY}).status_code == 200
        assert client.get(path, auth=viewer).status_code == 200
        bad_password = client.get(path, auth=(viewer[0], "wrong-password"))
        assert bad_password.status_code == 401
        assert bad_password.json()["status"] == 401


def test_without_a_configured_key_every_key_is_wrong(tmp_path: Path) -> None:
    from tidings.app import create_app

    app = create_app(Settings(data_dir=str(tmp_path / "d"), admin_password=ADMIN[1]))
    with TestClient(app) as open_client:
        assert open_client.get("/events", params={"key": ""}).status_code == 401
        assert open_client.get("/events", params={"key": "anything"}).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/events", {"sort": "(SELECT 1)"}, "sort"),
        ("/events", {"sort": "time; DROP TABLE events"}, "sort"),
        ("/events", {"sort.desc": "id,(select count(*) from users)"}, "sort.desc"),
        ("/events", {"sort": "data"}, "sort"),
        ("/sessions", {"sort": "token_hash"}, "sort"),
        ("/sessions", {"sort.desc": "1"}, "sort.desc"),
        ("/events", {"limit": "ten"}, "limit"),
        ("/events", {"limit": "-1"}, "limit"),
        ("/sessions", {"limit": "100000"}, "limit"),
        ("/sessions", {"offset": "-5"}, "offset"),
        ("/sessions", {"date": "25.08.2017"}, "date"),
        ("/events", {"date": "2017-13"}, "date"),
    ],
)
def test_bad_list_parameters_are_a_400_never_sql(
    client: TestClient,
    consumer_key: str,
    rt: Runtime,
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    token = _session(client, consumer_key)
    _click(client, token, "2017-08-25T17:10:01Z")
    answer = client.get(path, params={"key": KEY, **params})
    assert answer.status_code == 400
    assert answer.json()["status"] == 400
    assert f'"{field}"' in answer.json()["error"]
    assert rt.storage.count_events() == 1


def test_sessions_without_clicks_are_listed(client: TestClient, consumer_key: str) -> None:
    quiet = _session(client, consumer_key, "2017-08-25T17:00:00.000Z")
    busy = _session(client, consumer_key, "2017-08-25T18:00:00.000Z")
    _post(client, "/events", token=quiet, action="scroll", data="", ts="2017-08-25T17:00:05Z")
    _click(client, busy, "2017-08-25T18:00:01.000Z")
    fresh = _session(client, consumer_key, "2017-08-25T19:00:00.000Z")
    assert fresh
    listed = client.get("/sessions", params={"key": KEY}).json()["sessions"]
    assert [(s["id"], s["clicks"], s["last_action"]) for s in listed] == [
        (1, 0, "2017-08-25T17:00:05.000Z"),
        (2, 1, "2017-08-25T18:00:01.000Z"),
        (3, 0, None),
    ]
    by_clicks = client.get("/sessions", params={"key": KEY, "sort.desc": "clicks"}).json()
    assert [s["id"] for s in by_clicks["sessions"]] == [2, 1, 3]


def test_filters_sort_and_paging(client: TestClient, rt: Runtime) -> None:
    _, lib = microticks.create_consumer(rt.storage, "lib")
    _, kiosk = microticks.create_consumer(rt.storage, "kiosk")
    first = _session(client, lib, "2017-08-25T10:00:00.000Z")
    second = _session(client, kiosk, "2017-08-26T10:00:00.000Z")
    for minute in range(3):
        _click(client, first, f"2017-08-25T10:0{minute}:30.000Z")
    _click(client, second, "2017-08-26T10:00:30.000Z")

    def ids(path: str, **params: str) -> list[int]:
        answer = client.get(path, params={"key": KEY, **params})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = body["events" if path == "/events" else "sessions"]
        assert body["count"] == len(items)
        return [item["id"] for item in items]

    assert ids("/events") == [1, 2, 3, 4]
    assert ids("/events", **{"sort.desc": "time"}) == [4, 3, 2, 1]
    assert ids("/events", **{"sort.desc": "time", "limit": "2", "offset": "1"}) == [3, 2]
    assert ids("/events", date="2017-08-26") == [4]
    assert ids("/events", date="2017-08") == [1, 2, 3, 4]
    assert ids("/events", date="2017-08-25T10") == [1, 2, 3]
    assert ids("/events", date="2018") == []
    assert ids("/events", consumer="kiosk") == [4]
    assert ids("/events", consumer="2") == [4]
    assert ids("/events", ip="testclient") == [1, 2, 3, 4]
    assert ids("/events", ip="10.0.0.1") == []
    assert ids("/sessions", consumer="lib") == [1]
    assert ids("/sessions", **{"sort.desc": "started_at"}) == [2, 1]
    assert ids("/sessions", sort="clicks") == [2, 1]
    assert ids("/sessions", limit="1", offset="1") == [2]


def test_cors_and_cache_headers(client: TestClient, consumer_key: str) -> None:
    started = client.post(
        "/sessions",
        data={"consumer_key": consumer_key, "ts": "2017-08-25T17:10:00Z"},
        headers={"Origin": "https://library.example"},
    )
    assert started.headers["Access-Control-Allow-Origin"] == "*"
    assert "no-store" in started.headers["Cache-Control"]
    preflight = client.options(
        "/events",
        headers={
            "Origin": "https://library.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_dash_redirects_to_the_dashboard(client: TestClient) -> None:
    answer = client.get("/dash", params={"key": KEY}, follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/"


def test_session_summary_has_duration(client: TestClient, consumer_key: str, rt: Runtime) -> None:
    token = _session(client, consumer_key, "2017-08-25T17:10:00.000Z")
    _click(client, token, "2017-08-25T17:10:30.000Z")
    query = microticks.parse_list_query({}, sessions=True)
    (open_session,) = microticks.list_sessions(rt.storage, query)
    assert open_session.duration == 30_000_000
    assert open_session.row.events == 1 and open_session.row.consumer == "lib"
    _post(client, "/sessions/stop", ts="2017-08-25T17:11:00.000Z", token=token)
    (stopped,) = microticks.list_sessions(rt.storage, query)
    assert stopped.duration == 60_000_000
    events = rt.storage.list_events(EventFilter(namespace="microticks"), 0, 10)
    assert [e.name for e in events] == ["click"]


def test_full_write_queue_answers_503_with_retry_after(
    client: TestClient, consumer_key: str, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _session(client, consumer_key)

    async def full(drafts: object) -> object:
        raise Overloaded(retry_after=2)

    monkeypatch.setattr(rt.writer, "submit", full)
    answer = _click(client, token, "2017-08-25T17:10:01Z")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer.json() == {"error": "Write queue is full.", "status": 503}


def test_api_and_oauth_tokens_read_as_key_or_bearer(
    client: TestClient, rt: Runtime, viewer: tuple[str, str]
) -> None:
    token = api_token(rt, viewer[0])
    for path in ("/events", "/sessions"):
        assert client.get(path, params={"key": token}).status_code == 200
        assert client.get(path, headers=bearer(token)).status_code == 200
    reader = oauth_token(client, rt, "read")
    assert client.get("/sessions", params={"key": reader}).status_code == 200
    writer = oauth_token(client, rt, "write")
    refused = client.get("/sessions", params={"key": writer})
    assert refused.status_code == 403
    assert refused.json() == {
        "description": "This credential needs the scope 'read'.",
        "status": 403,
    }
    assert client.get("/events", headers=bearer(writer)).status_code == 403


def test_guessing_consumer_keys_is_rate_limited(tmp_path: Path) -> None:
    from tidings.app import create_app

    limited = Settings(
        data_dir=str(tmp_path / "d"),
        admin_password=ADMIN[1],
        anonymous_rate_limit=60,
        anonymous_rate_limit_burst=3,
    )
    with TestClient(create_app(limited)) as guesser:
        answers = [
            _post(guesser, "/sessions", consumer_key=f"{n:032x}", ts="1503680999").status_code
            for n in range(6)
        ]
        assert answers[:3] == [400, 400, 400]
        assert answers[-1] == 429
        late = _post(guesser, "/sessions", consumer_key="0" * 32, ts="1503680999")
        assert "Retry-After" in late.headers and late.json()["status"] == 429
