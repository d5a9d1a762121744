"""``GET /api/v1/live`` against a real server: streams cannot go through a buffering
in-process transport."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server import Server, running_server
from tests.streams import StreamReader, post_events

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"TIDINGS_LIVE_KEEPALIVE_S": "1", "TIDINGS_LIVE_BUFFER_EVENTS": "50"}
    with running_server(tmp_path_factory.mktemp("live"), env) as srv:
        yield srv


@pytest.fixture(scope="module")
def key(server: Server) -> str:
    return server.create_source("live")


def _events(namespace: str, count: int, **extra: object) -> list[dict[str, object]]:
    return [{"namespace": namespace, "name": "e", "value": i, **extra} for i in range(count)]


def _ids(reader: StreamReader, last: int) -> list[int]:
    items = reader.until(lambda item: item.get("id") == last)
    return [item["id"] for item in items if "id" in item]


def test_live_follows_new_events_as_server_sent_events(server: Server, key: str) -> None:
    url = f"{server.url}/api/v1/live?namespace=follow"
    with StreamReader(url, server.admin) as reader:
        assert reader.next() == {"retry": "1000"}
        ids = post_events(server.url, key, _events("follow", 3, properties={"k": "v"}))
        items = reader.until(lambda item: item.get("id") == ids[-1])
    events = [item for item in items if "id" in item]
    assert [e["id"] for e in events] == ids
    assert events[0]["data"]["namespace"] == "follow"
    assert events[0]["data"]["properties"] == {"k": "v"}
    assert events[0]["data"]["source"] == "live"


def test_live_filters_by_name_and_property(server: Server, key: str) -> None:
    url = f"{server.url}/api/v1/live?namespace=filt&name=keep&prop.plan=pro"
    with StreamReader(url, server.admin) as reader:
        post_events(
            server.url,
            key,
            [
                {"namespace": "filt", "name": "drop", "properties": {"plan": "pro"}},
                {"namespace": "filt", "name": "keep", "properties": {"plan": "free"}},
                {"namespace": "other", "name": "keep", "properties": {"plan": "pro"}},
            ],
        )
        wanted = post_events(
            server.url, key, [{"namespace": "filt", "name": "keep", "properties": {"plan": "pro"}}]
        )
        items = reader.until(lambda item: "id" in item)
    assert items[-1]["id"] == wanted[0]


def test_last_event_id_replays_then_continues_without_gap_or_duplicate(
    server: Server, key: str
) -> None:
    first = post_events(server.url, key, _events("resume", 5))
    url = f"{server.url}/api/v1/live?namespace=resume"
    with StreamReader(url, server.admin, {"Last-Event-ID": str(first[1])}) as reader:
        assert _ids(reader, first[-1]) == first[2:]
        more = post_events(server.url, key, _events("resume", 3))
        assert _ids(reader, more[-1]) == more
    # Disconnected: what is written now is replayed on reconnect.
    missed = post_events(server.url, key, _events("resume", 4))
    with StreamReader(f"{url}&after={more[-1]}", server.admin) as reader:
        assert _ids(reader, missed[-1]) == missed


def test_ndjson_format_gives_one_event_per_line_and_blank_keepalives(
    server: Server, key: str
) -> None:
    url = f"{server.url}/api/v1/live?namespace=nd&format=ndjson"
    with StreamReader(url, server.admin) as reader:
        assert reader.next() is None  # keepalive after one idle second
        ids = post_events(server.url, key, _events("nd", 2))
        lines = reader.until(lambda item: item is not None and item["id"] == ids[-1])
    assert [line["id"] for line in lines if line is not None] == ids


def test_live_stream_is_uncached_and_carries_the_security_headers(server: Server) -> None:
    url = f"{server.url}/api/v1/live?namespace=headers"
    with httpx.stream("GET", url, auth=server.admin, timeout=10) as response:
        headers = response.headers
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_streams_with_equal_and_different_filters_each_get_their_own_events(
    server: Server, key: str
) -> None:
    base = f"{server.url}/api/v1/live?namespace=groups"
    with (
        StreamReader(f"{base}&name=a", server.admin) as a1,
        StreamReader(f"{base}&name=a&format=ndjson", server.admin) as a2,
        StreamReader(f"{base}&name=b", server.admin) as b,
    ):
        ids = post_events(
            server.url, key, [{"namespace": "groups", "name": name} for name in "abab"]
        )
        got_a1 = _ids(a1, ids[2])
        got_a2 = [line["id"] for line in a2.until(lambda x: x and x["id"] == ids[2]) if line]
        got_b = _ids(b, ids[3])
    assert got_a1 == got_a2 == [ids[0], ids[2]]
    assert got_b == [ids[1], ids[3]]


def test_sse_sends_keepalive_comments_while_idle(server: Server) -> None:
    with StreamReader(f"{server.url}/api/v1/live?namespace=idle", server.admin) as reader:
        reader.next()
        assert reader.next() == {"comment": "keepalive"}


@pytest.mark.parametrize(
    ("query", "headers", "field"),
    [
        ("after=abc", {}, "after"),
        ("after=-1", {}, "after"),
        ("", {"Last-Event-ID": "x1"}, "Last-Event-ID"),
        ("format=xml", {}, "format"),
        ("from=yesterday", {}, "from"),
    ],
)
def test_bad_live_parameters_get_400_naming_the_field(
    server: Server, query: str, headers: dict[str, str], field: str
) -> None:
    response = httpx.get(
        f"{server.url}/api/v1/live?{query}", auth=server.admin, headers=headers, timeout=10
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_live_needs_a_reader(server: Server) -> None:
    response = httpx.get(f"{server.url}/api/v1/live", timeout=10)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    wrong = httpx.get(f"{server.url}/api/v1/live", auth=("admin", "wrong-pass"), timeout=10)
    assert wrong.status_code == 401


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(st.integers(1, 40), min_size=3, max_size=12),
    join_after=st.integers(0, 11),
    cursor_back=st.integers(0, 30),
)
def test_replay_then_follow_under_concurrent_writes_has_no_gap_or_duplicate(
    server: Server, key: str, batches: list[int], join_after: int, cursor_back: int
) -> None:
    namespace = f"prop-{id(batches)}-{len(batches)}-{join_after}-{cursor_back}"
    written: list[int] = []
    joined = threading.Event()
    join_at = min(join_after, len(batches) - 1)

    def writer() -> None:
        for index, size in enumerate(batches):
            if index == join_at:
                joined.set()
            written.extend(post_events(server.url, key, _events(namespace, size)))
        joined.set()

    seed = post_events(server.url, key, _events(namespace, 30))
    cursor = seed[max(0, len(seed) - 1 - cursor_back)]
    thread = threading.Thread(target=writer)
    thread.start()
    joined.wait(30)
    url = f"{server.url}/api/v1/live?namespace={namespace}"
    with StreamReader(url, server.admin, {"Last-Event-ID": str(cursor)}) as reader:
        thread.join(60)
        expected = [i for i in seed + written if i > cursor]
        received = _ids(reader, expected[-1])
    assert received == expected


def test_a_reader_too_slow_to_keep_up_is_disconnected(server: Server, key: str) -> None:
    # A client that never reads: its socket fills, then its 50-event buffer overflows.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = server.url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    header = "Basic " + base64.b64encode(":".join(server.admin).encode()).decode()
    request = f"GET /api/v1/live?namespace=slow HTTP/1.1\r\nHost: x\r\nAuthorization: {header}\r\n"
    sock.sendall(request.encode() + b"\r\n")
    blob = "x" * 8000
    for _ in range(20):
        post_events(server.url, key, _events("slow", 100, properties={"blob": blob}))
    sock.settimeout(30)
    received = bytearray()
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break  # the server closed the connection
        received.extend(chunk)
    sock.close()
    # Far fewer than the 2,000 events (16 MB) written reached the dropped reader.
    assert received.count(b"\nid: ") < 2000
    # The server is still healthy and serves new streams.
    with StreamReader(f"{server.url}/api/v1/live?namespace=after-slow", server.admin) as reader:
        ids = post_events(server.url, key, _events("after-slow", 1))
        assert _ids(reader, ids[0]) == ids


def test_an_api_token_may_open_a_live_stream(server: Server, key: str) -> None:
    token = json.loads(server.cli("token", "create", "--user", "admin", "--json"))["token"]
    url = f"{server.url}/api/v1/live?namespace=token"
    with StreamReader(url, headers={"Authorization": f"Bearer {token}"}) as reader:
        assert reader.status == 200
        ids = post_events(server.url, key, _events("token", 1))
        assert _ids(reader, ids[0]) == ids
