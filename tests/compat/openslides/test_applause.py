"""``/system/applause`` and the periodic applause broadcast on a real server (100 ms rounds,
1 s window)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.compat.openslides.system_fixtures import ALICE, BOB, key, server
from tests.server import Server
from tests.streams import StreamReader

pytestmark = pytest.mark.serial
__all__ = ["key", "server"]


def _applause(reader: StreamReader) -> dict[str, Any]:
    item = reader.until(lambda i: i is not None and i.get("name") == "applause")[-1]
    assert item["sender_user_id"] == 0
    assert item["sender_channel_id"] == "Server"
    message: dict[str, Any] = item["message"]
    return message


def _applaud(server: Server, auth: tuple[str, str]) -> None:
    response = httpx.post(f"{server.url}/system/applause", auth=auth, timeout=10)
    assert response.status_code == 200
    assert response.content == b""


def test_applause_counts_distinct_users_then_sends_one_trailing_zero(server: Server) -> None:
    url = f"{server.url}/system/notify"
    with StreamReader(url, ALICE) as reader, StreamReader(url, BOB):
        _applaud(server, ALICE)
        _applaud(server, ALICE)  # the same user twice is one
        _applaud(server, BOB)
        levels = []
        message = _applause(reader)
        while message["level"] != 0:
            levels.append(message["level"])
            assert message["presentUsers"] == 2  # alice and bob have streams open
            message = _applause(reader)
        # After the zero nothing is sent until someone applauds again: the next applause
        # line is not another zero.
        _applaud(server, BOB)
        again = _applause(reader)
    assert max(levels) == 2
    assert again["level"] == 1


def test_applause_needs_a_login(server: Server) -> None:
    response = httpx.post(f"{server.url}/system/applause", timeout=10)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"type": "auth_required", "msg": "You have to be logged in to send applause."}
    }
