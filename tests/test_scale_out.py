"""Scale-out: two servers (one of them with two worker processes) on one PostgreSQL
database and one Redis agree on ingest, dedup, ids, aggregates and live streams."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.server import Server, running_server
from tests.services import postgres_schema, redis_url
from tests.streams import StreamReader, post_events

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, str]]:
    """Two servers on one database and one Redis (the first with two workers), and the
    write key of a source on them."""
    tmp = tmp_path_factory.mktemp("scale")
    with postgres_schema() as database_url:
        env = {"TIDINGS_DATABASE_URL": database_url, "TIDINGS_BUS_URL": redis_url()}
        with (
            running_server(tmp / "a", env, "--workers", "2") as one,
            running_server(tmp / "b", env) as two,
        ):
            yield one, two, one.create_source("web")


def test_two_servers_on_one_database_store_each_message_once(
    servers: tuple[Server, Server, str],
) -> None:
    one, two, key = servers

    def send(args: tuple[str, int]) -> list[int]:
        url, batch = args
        events = [
            {
                "namespace": "shop",
                "name": "buy",
                "value": i,
                "message_id": f"m{i}",
                "timestamp": f"2024-03-01T00:{i % 60:02d}:00Z",
            }
            for i in range(batch * 10, batch * 10 + 10)
        ]
        answer = httpx.post(
            f"{url}/api/v1/events",
            json={"events": events},
            headers={"X-Write-Key": key},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        ids: list[int] = answer.json()["ids"]
        return ids

    # Every batch goes to both servers at once (and so to three processes).
    jobs = [(server.url, batch) for batch in range(20) for server in (one, two)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, jobs))
    for first, second in zip(answers[::2], answers[1::2], strict=True):
        assert first == second  # both answers name the one stored copy
    listed = [
        httpx.get(
            f"{server.url}/api/v1/events",
            params={"namespace": "shop", "limit": 1000},
            auth=server.admin,
        ).json()["events"]
        for server in (one, two)
    ]
    assert listed[0] == listed[1]
    ids = [e["id"] for e in listed[0]]
    assert len(ids) == 200 and ids == sorted(set(ids))
    params = {
        "namespace": "shop",
        "name": "buy",
        "fn": "sum",
        "granularity": "hour",
        "from": "2024-03-01T00:00:00Z",
        "to": "2024-03-01T02:00:00Z",
    }
    sums = [
        httpx.get(f"{s.url}/api/v1/aggregate", params=params, auth=s.admin).json()
        for s in (one, two)
    ]
    assert sums[0] == sums[1]
    assert [(b["value"], b["count"]) for b in sums[0]["buckets"]] == [(float(sum(range(200))), 200)]


def test_an_event_sent_to_either_server_reaches_live_streams_on_both(
    servers: tuple[Server, Server, str],
) -> None:
    one, two, key = servers
    # Redis pub/sub is shared by every test run on this Redis: a namespace of our own keeps
    # other runs' events out of these streams.
    namespace = f"live-{uuid.uuid4().hex[:10]}"
    streams = [f"{s.url}/api/v1/live?namespace={namespace}" for s in (one, two)]
    with (
        StreamReader(streams[0], one.admin) as on_one,
        StreamReader(streams[1], two.admin) as on_two,
    ):
        for reader in (on_one, on_two):
            assert reader.status == 200
            assert reader.next() == {"retry": "1000"}  # subscribed before this is sent
        to_one = post_events(one.url, key, [{"namespace": namespace, "name": "to-one"}])
        to_two = post_events(two.url, key, [{"namespace": namespace, "name": "to-two"}])
        # The same message sent to both servers is stored once, so it is streamed once.
        dup = {"namespace": namespace, "name": "dup", "message_id": f"{namespace}-dup"}
        dup_ids = [post_events(s.url, key, [dup]) for s in (one, two)]
        assert dup_ids[0] == dup_ids[1]
        last = post_events(two.url, key, [{"namespace": namespace, "name": "last"}])
        expected = to_one + to_two + dup_ids[0] + last
        for reader in (on_one, on_two):
            items = reader.until(lambda item: item.get("id") == last[0])
            events = [item for item in items if "id" in item]
            assert [e["id"] for e in events] == expected
            assert [e["data"]["name"] for e in events] == ["to-one", "to-two", "dup", "last"]
