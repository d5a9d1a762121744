"""Notify and applause in the OpenSlides mode (spec openslides3.md 3.4): OpenSlides users,
fan-out through OpenSlides' Redis, presentUsers from ``is_present``."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest

from tests.compat.openslides.os3.fixture import ALICE, DAVE
from tests.compat.openslides.os3.server_fixtures import Meeting, os3
from tests.streams import StreamReader

pytestmark = pytest.mark.serial
__all__ = ["os3"]


def _channel(reader: StreamReader) -> str:
    assert reader.next() == {"connected": True}
    channel: str = reader.next()["channel_id"]
    return channel


def _named(reader: StreamReader, name: str) -> dict[str, Any]:
    item: dict[str, Any] = reader.until(lambda i: isinstance(i, dict) and i.get("name") == name)[-1]
    return item


def test_notify_goes_through_the_openslides_redis(os3: Meeting) -> None:
    with os3.stream("/system/notify", DAVE) as dave, os3.stream("/system/notify", None) as anon:
        channel = _channel(dave)
        assert re.fullmatch(rf"[0-9a-f]{{8}}:{DAVE}:\d+", channel)
        _channel(anon)
        body = {"channel_id": channel, "name": "hello", "message": {"x": 1}, "to_all": True}
        response = httpx.post(
            f"{os3.server.url}/system/notify/send",
            content=orjson.dumps(body),
            headers=os3.cookie(DAVE),
            timeout=10,
        )
        assert response.status_code == 200
        for reader in (dave, anon):
            got = _named(reader, "hello")
            assert got["sender_user_id"] == DAVE and got["message"] == {"x": 1}
        # What another instance sends (written straight to the stream) reaches us too.
        other = {"sender_user_id": ALICE, "sender_channel_id": "zzzzzzzz:2:1", "name": "from-os",
                 "message": None, "to_users": [DAVE]}  # fmt: skip
        os3.layout.redis.xadd(os3.layout.k("notify"), {"content": orjson.dumps(other)})
        assert _named(dave, "from-os")["sender_user_id"] == ALICE
    entries = os3.layout.redis.xrange(os3.layout.k("notify"))
    assert any(orjson.loads(f[b"content"])["name"] == "hello" for _, f in entries)


def test_applause_is_kept_in_redis_and_counts_present_users_from_the_data(os3: Meeting) -> None:
    with os3.stream("/system/notify", DAVE) as dave:
        _channel(dave)
        response = httpx.post(
            f"{os3.server.url}/system/applause", headers=os3.cookie(ALICE), timeout=10
        )
        assert response.status_code == 200
        message = _named(dave, "applause")
        assert message["sender_channel_id"] == "Server"
        assert message["message"] == {"level": 1, "presentUsers": 2}  # alice and eve
    assert os3.layout.redis.zscore(os3.layout.k("applause"), str(ALICE)) is not None


def test_applause_needs_a_logged_in_user(os3: Meeting) -> None:
    response = os3.get("/system/applause", None, method="POST")
    assert response.status_code == 400
    assert response.json() == {
        "error": {"type": "auth_required", "msg": "You have to be logged in to send applause."}
    }


def test_idle_notify_streams_repeat_the_connected_line_never_an_empty_one(os3: Meeting) -> None:
    with os3.stream("/system/notify", DAVE) as dave:
        _channel(dave)
        seen = dave.until(lambda i: not (isinstance(i, dict) and i.get("name") == "applause"))
        assert seen[-1] == {"connected": True}  # applause rounds of earlier tests aside
