"""Real Segment-style SDKs (Python and Node.js) against a real running Tidings.

Every client goes through a proxy that loses the answer to its first request, so each one
also proves that its retry of an already committed batch is stored once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients.flaky_proxy import FlakyProxy, flaky_proxy
from tests.server import Server, running_server
from tidings.model.timeparse import parse_timestamp

pytestmark = pytest.mark.serial

NODE_DIR = Path(__file__).resolve().parents[2] / "clients" / "node"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# The clients' clocks are this machine's: skew correction moves times by the request's
# time in flight (and the retry's wait) only.
SLACK_US = 30_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("segment-clients")) as srv:
        yield srv


@pytest.fixture
def proxy(server: Server) -> Iterator[FlakyProxy]:
    with flaky_proxy(server.url) as flaky:
        flaky.fail_next = 1
        yield flaky


def _stored(server: Server, source: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/api/v1/events", params={"source": source}, auth=server.admin, timeout=10
    )
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def _check(events: list[dict[str, Any]], user: str, proxy: FlakyProxy) -> None:
    by_name = {e["name"]: e for e in events}
    assert sorted(by_name) == ["Python Tracked", "identify", "page"] or sorted(by_name) == [
        "Node Tracked",
        "identify",
        "page",
    ]
    # Stored once each, although the first request was sent (and committed) twice.
    assert len(events) == 3
    assert [s.failed for s in proxy.seen][:1] == [True]
    assert len(proxy.seen) >= 2
    for event in events:
        assert event["user_id"] == user
    track = next(e for e in events if e["name"].endswith("Tracked"))
    assert track["properties"] == {"n": 1}
    assert abs(parse_timestamp(track["timestamp"]) - parse_timestamp(WHEN.isoformat())) < SLACK_US
    page = by_name["page"]
    assert page["properties"]["name"] == "Home"
    assert page["properties"]["path"] == "/"
    assert by_name["identify"]["properties"] == {"plan": "pro"}


def _python_calls(client: Any, user: str) -> None:
    client.identify(user, {"plan": "pro"})
    client.track(user, "Python Tracked", {"n": 1}, timestamp=WHEN)
    client.page(user, name="Home", properties={"path": "/"})
    client.flush()
    client.join()


def test_segment_analytics_python(server: Server, proxy: FlakyProxy) -> None:
    from segment.analytics import Client

    errors: list[Exception] = []
    key = server.create_source("segment-python")
    client = Client(
        key, host=proxy.url, on_error=lambda e, _batch: errors.append(e), upload_interval=0.05
    )
    _python_calls(client, "py-user")
    assert errors == []
    _check(_stored(server, "segment-python"), "py-user", proxy)
    # 2.x puts the key in the body (and Basic); retries say which attempt they are.
    assert any(s.headers.get("x-retry-count") == "1" for s in proxy.seen)


def test_rudder_sdk_python_with_gzip(server: Server, proxy: FlakyProxy) -> None:
    from rudderstack.analytics.client import Client

    errors: list[Exception] = []
    key = server.create_source("rudder-python")
    client = Client(
        key,
        host=proxy.url,
        gzip=True,
        on_error=lambda e, _batch: errors.append(e),
        upload_interval=0.05,
    )
    _python_calls(client, "rudder-user")
    assert errors == []
    assert all(s.headers.get("content-encoding") == "gzip" for s in proxy.seen)
    assert all(s.headers.get("authorization", "").startswith("Basic ") for s in proxy.seen)
    _check(_stored(server, "rudder-python"), "rudder-user", proxy)


@pytest.mark.parametrize("which", ["segment", "rudder"])
def test_node_clients(server: Server, proxy: FlakyProxy, which: str) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules").is_dir():
        pytest.fail("node and tests/clients/node/node_modules are needed (run scripts/install)")
    key = server.create_source(f"{which}-node")
    done = subprocess.run(
        [node, str(NODE_DIR / "send.mjs"), which, proxy.url, key],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    events = _stored(server, f"{which}-node")
    _check(events, f"{which}-node-user", proxy)
    messages = proxy.seen[0].json()["batch"]
    if which == "rudder":
        # This client stamps originalTimestamp (and sentAt) on every message.
        assert all("originalTimestamp" in m for m in messages)
    # The retried batch carried the same message ids as the lost one.
    assert [m["messageId"] for m in messages] == [
        m["messageId"] for m in proxy.seen[1].json()["batch"]
    ]
