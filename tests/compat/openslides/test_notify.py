"""``/system/notify`` and ``/system/notify/send`` routing and errors on a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.compat.openslides.system_fixtures import ALICE, BOB, key, server
from tests.server import Server
from tests.streams import StreamReader
from tidings.compat.openslides.notify import channel_uid

pytestmark = pytest.mark.serial
__all__ = ["key", "server"]


def _channel(reader: StreamReader) -> str:
    assert reader.next() == {"connected": True}
    channel: str = reader.next()["channel_id"]
    return channel


def _messages(reader: StreamReader, name: str) -> list[dict[str, Any]]:
    """Lines up to and including the first message called ``name`` (keepalives skipped)."""
    items = reader.until(lambda item: item is not None and item.get("name") == name)
    return [item for item in items if item is not None and item.get("name") != "applause"]


def _send(server: Server, auth: tuple[str, str] | None, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else None
    return httpx.post(
        f"{server.url}/system/notify/send",
        auth=auth,
        json=None if content is not None else body,
        content=content,
        timeout=10,
    )


def test_channel_ids_carry_the_user_and_differ(server: Server) -> None:
    url = f"{server.url}/system/notify"
    with StreamReader(url, ALICE) as one, StreamReader(url, ALICE) as two:
        first, second = _channel(one), _channel(two)
    assert first != second
    assert first.split(":")[0] == second.split(":")[0]
    assert channel_uid(first) == channel_uid(second) > 0


@pytest.mark.parametrize("malformed", ["foobar", "foo:bar:blub", "a:1", ""])
def test_malformed_channel_ids_belong_to_nobody(malformed: str) -> None:
    assert channel_uid(malformed) == 0


def test_messages_are_routed_to_all_users_and_channels(server: Server) -> None:
    url = f"{server.url}/system/notify"
    with (
        StreamReader(url, ALICE) as alice,
        StreamReader(url, BOB) as bob,
        StreamReader(url, BOB) as bob2,
    ):
        a, b, b2 = _channel(alice), _channel(bob), _channel(bob2)
        sends = [
            {"name": "all", "message": {"n": 1}, "to_all": True},
            {"name": "users", "message": "u", "to_users": [channel_uid(b)]},
            {"name": "chans", "message": [1], "to_channels": [b2]},
            {"name": "end", "message": None, "to_all": True},
        ]
        for body in sends:
            response = _send(server, ALICE, {"channel_id": a, **body})
            assert response.status_code == 200, response.text
            assert response.content == b""
        got = {name: _messages(r, "end") for name, r in (("a", alice), ("b", bob), ("b2", bob2))}
    names = {who: [m["name"] for m in messages] for who, messages in got.items()}
    assert names == {
        "a": ["all", "end"],  # the sender gets its own to_all
        "b": ["all", "users", "end"],
        "b2": ["all", "users", "chans", "end"],
    }
    assert got["a"][0] == {
        "sender_user_id": channel_uid(a),
        "sender_channel_id": a,
        "name": "all",
        "message": {"n": 1},
    }


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b"{nope", "invalid json"),
        ([1, 2], "invalid json"),
        ({"channel_id": "abc:999:1", "name": "x"}, "invalid channel id"),
        ({"channel_id": "CHANNEL", "message": 1}, "notify does not have required field `name`"),
        ({"channel_id": "CHANNEL", "name": "applause"}, "notify name can not be applause"),
        ({"channel_id": "CHANNEL", "name": "x", "to_users": ["1"]}, "to_users"),
    ],
)
def test_bad_notify_sends_get_400_invalid_request(server: Server, body: Any, msg: str) -> None:
    with StreamReader(f"{server.url}/system/notify", ALICE) as reader:
        channel = _channel(reader)
    if isinstance(body, dict) and body.get("channel_id") == "CHANNEL":
        body = {**body, "channel_id": channel}
    response = _send(server, ALICE, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert msg in error["msg"]


def test_sending_needs_a_login(server: Server) -> None:
    response = _send(server, None, {"channel_id": "x:1:1", "name": "x"})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "type": "auth_required",
            "msg": "You have to be logged in to use the notify system.",
        }
    }
