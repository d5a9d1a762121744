"""Scale-out with the analytics tier: two servers on one PostgreSQL database share one
directory of Parquet files (TIDINGS_ANALYTICS_DIR); both answer exactly, before and after the
files catch up, and the files are written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.server import running_server
from tests.services import postgres_schema, redis_url
from tests.streams import post_events
from tidings.analytics import parquet

pytestmark = pytest.mark.serial


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_two_servers_answer_from_one_shared_parquet_directory(tmp_path: Path) -> None:
    shared = tmp_path / "analytics"
    namespace = f"pq-{uuid.uuid4().hex[:10]}"
    with postgres_schema() as database_url:
        env = {
            "TIDINGS_DATABASE_URL": database_url,
            "TIDINGS_BUS_URL": redis_url(),
            "TIDINGS_ANALYTICS_DIR": str(shared),
        }
        with running_server(tmp_path / "a", env) as one, running_server(tmp_path / "b", env) as two:
            key = one.create_source("web")
            events = [
                {
                    "namespace": namespace,
                    "name": "view",
                    "timestamp": f"2024-03-0{1 + i % 3}T10:00:00Z",
                    "properties": {"path": f"/p{i % 4}"},
                }
                for i in range(24)
            ]
            post_events(one.url, key, events)
            params = {
                "namespace": namespace,
                "fn": "count",
                "granularity": "total",
                "group_by": "prop.path",
                "from": "2024-03-01T00:00:00Z",
                "to": "2024-03-04T00:00:00Z",
            }

            def counts(url: str, auth: tuple[str, str]) -> dict[str, int]:
                body = httpx.get(f"{url}/api/v1/aggregate", params=params, auth=auth).json()
                return {b["group"]: b["count"] for b in body["buckets"]}

            expected = {f"/p{i}": 6 for i in range(4)}
            # At once (the tail from PostgreSQL), and once the files hold every event.
            for server in (one, two):
                assert counts(server.url, server.admin) == expected
            wait_for(lambda: parquet.read_manifest(str(shared)).rows >= 24)
            assert list(shared.glob("events/day=2024-03-0*/part-*.parquet"))
            for server in (one, two):
                assert counts(server.url, server.admin) == expected
