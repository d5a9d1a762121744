"""Scale-out: two servers (one of them with two worker processes) on one PostgreSQL
database and one Redis agree on ingest, dedup, ids and aggregates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.server import running_server
from tests.services import postgres_schema, redis_url

pytestmark = pytest.mark.serial


def test_two_servers_on_one_database_store_each_message_once(tmp_path: Path) -> None:
    with postgres_schema() as database_url:
        env = {"TIDINGS_DATABASE_URL": database_url, "TIDINGS_BUS_URL": redis_url()}
        with (
            running_server(tmp_path / "a", env, "--workers", "2") as one,
            running_server(tmp_path / "b", env) as two,
        ):
            key = one.create_source("web")

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
                    f"{server.url}/api/v1/events", params={"limit": 1000}, auth=server.admin
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
            assert [(b["value"], b["count"]) for b in sums[0]["buckets"]] == [
                (float(sum(range(200))), 200)
            ]
