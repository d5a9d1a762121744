"""The live tail's stream, ``GET /dashboard/data/live``, against a real server: the session
cookie opens it (streams cannot go through a buffering in-process transport)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.server import Server, running_server
from tests.streams import StreamReader, post_events

pytestmark = pytest.mark.serial

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VIEWER = ("vic", "vic-password-1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("tail"), {"TIDINGS_LIVE_KEEPALIVE_S": "1"}) as srv:
        srv.cli("user", "create", VIEWER[0], "--role", "viewer", "--password", VIEWER[1])
        yield srv


@pytest.fixture(scope="module")
def key(server: Server) -> str:
    return server.create_source("tail")


@pytest.fixture(scope="module")
def cookie(server: Server) -> str:
    """A viewer's dashboard session cookie, from logging in through the form."""
    with httpx.Client(base_url=server.url) as browser:
        token = CSRF.search(browser.get("/login").text)
        assert token
        answer = browser.post(
            "/login",
            data={"csrf": token.group(1), "username": VIEWER[0], "password": VIEWER[1]},
        )
        assert answer.status_code == 303, answer.text
        return f"tidings_session={browser.cookies['tidings_session']}"


def test_a_viewers_session_cookie_opens_the_live_stream(
    server: Server, key: str, cookie: str
) -> None:
    url = f"{server.url}/dashboard/data/live?namespace=tail&name=keep"
    with StreamReader(url, headers={"Cookie": cookie}) as reader:
        assert reader.status == 200
        assert reader.next() == {"retry": "1000"}
        ids = post_events(
            server.url,
            key,
            [
                {"namespace": "tail", "name": "skip"},
                {"namespace": "tail", "name": "keep", "properties": {"n": 1}},
            ],
        )
        items = reader.until(lambda item: item.get("id") == ids[1])
    events = [item for item in items if "id" in item]
    assert [e["id"] for e in events] == [ids[1]]
    assert events[0]["data"]["properties"] == {"n": 1}
    assert events[0]["data"]["source"] == "tail"


def test_the_stream_resumes_after_a_cursor_like_the_api(
    server: Server, key: str, cookie: str
) -> None:
    ids = post_events(server.url, key, [{"namespace": "resume", "name": f"e{i}"} for i in range(3)])
    url = f"{server.url}/dashboard/data/live?namespace=resume&after={ids[0]}"
    with StreamReader(url, headers={"Cookie": cookie}) as reader:
        items = reader.until(lambda item: item.get("id") == ids[2])
        assert [item["id"] for item in items if "id" in item] == ids[1:]
        # Last-Event-ID, what EventSource sends on reconnect, wins over ?after=.
    resumed = StreamReader(url, headers={"Cookie": cookie, "Last-Event-ID": str(ids[1])})
    with resumed:
        items = resumed.until(lambda item: item.get("id") == ids[2])
        assert [item["id"] for item in items if "id" in item] == [ids[2]]


def test_the_stream_refuses_a_stranger_and_bad_parameters(server: Server, cookie: str) -> None:
    base = f"{server.url}/dashboard/data/live"
    assert httpx.get(base, headers={"Cookie": "tidings_session=forged.sig"}).status_code == 401
    bad = httpx.get(f"{base}?after=soon", headers={"Cookie": cookie})
    assert bad.status_code == 400 and "after" in bad.text
