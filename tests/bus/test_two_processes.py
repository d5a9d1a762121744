"""Two server processes sharing one database and a Redis bus behave as one service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.server import Server, running_server
from tests.services import redis_url
from tests.streams import StreamReader, post_events

pytestmark = pytest.mark.serial
ALICE = ("alice", "alice-password-1")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    url = redis_url()
    data_dir: Path = tmp_path_factory.mktemp("pair")
    env = {
        "TIDINGS_BUS_URL": url,
        "TIDINGS_DATABASE_URL": f"sqlite:///{data_dir / 'shared.db'}",
        "TIDINGS_APPLAUSE_INTERVAL_MS": "100",
        "TIDINGS_APPLAUSE_WINDOW_S": "2",
        "TIDINGS_LIVE_KEEPALIVE_S": "1",
    }
    with ExitStack() as stack:
        first = stack.enter_context(running_server(data_dir / "one", env))
        first.cli("user", "create", ALICE[0], "--password", ALICE[1])
        second = stack.enter_context(running_server(data_dir / "two", env))
        yield first, second


def test_an_event_posted_to_one_process_streams_from_the_other(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    key = first.create_source(f"pair-{uuid.uuid4().hex[:6]}")
    namespace = f"pair-{uuid.uuid4().hex[:6]}"
    with StreamReader(f"{second.url}/api/v1/live?namespace={namespace}", first.admin) as reader:
        reader.next()  # retry hint
        ids = post_events(first.url, key, [{"namespace": namespace, "name": "x"}])
        items = reader.until(lambda item: "id" in item)
    assert items[-1]["id"] == ids[0]
    assert items[-1]["data"]["namespace"] == namespace


def test_a_notify_sent_to_one_process_reaches_a_channel_on_the_other(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    with StreamReader(f"{second.url}/system/notify", ALICE) as reader:
        assert reader.next() == {"connected": True}
        channel = reader.next()["channel_id"]
        # Alice sends through the other process, addressed to her own channel.
        response = httpx.post(
            f"{first.url}/system/notify/send",
            auth=ALICE,
            json={"channel_id": channel, "name": "ping", "message": 7, "to_channels": [channel]},
            timeout=10,
        )
        assert response.status_code == 200
        got = reader.until(lambda item: item is not None and item.get("name") == "ping")[-1]
    assert got["message"] == 7


def test_applause_counts_users_across_both_processes(pair: tuple[Server, Server]) -> None:
    first, second = pair
    with (
        StreamReader(f"{first.url}/system/notify", first.admin) as reader,
        StreamReader(f"{second.url}/system/notify", ALICE),
    ):
        for server, auth in ((first, first.admin), (second, ALICE)):
            response = httpx.post(f"{server.url}/system/applause", auth=auth, timeout=10)
            assert response.status_code == 200
        best = {"level": 0, "presentUsers": 0}
        while best["level"] < 2:
            item = reader.until(lambda i: i is not None and i.get("name") == "applause")[-1]
            best = item["message"]
    assert best == {"level": 2, "presentUsers": 2}
