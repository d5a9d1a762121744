"""The Microticks example browser client's flow (seed-systems.md 4.3) against a real server."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server import running_server

pytestmark = pytest.mark.serial

ORIGIN = "https://library.example"


class ExampleClient:
    """What ``microticks.js`` does on the wire: form posts queued and sent one at a time,
    each with ``ts`` (``toISOString()``) and ``token``; the session starts lazily on the first
    event (``/sessions`` goes out with an empty token); ``stopSession(reason)`` posts a
    ``stopSession`` event and then ``/sessions/stop``."""

    def __init__(self, host: str, consumer_key: str, clock: datetime) -> None:
        self.host = host
        self.consumer_key = consumer_key
        self.clock = clock
        self.token = ""
        self.queue: deque[tuple[str, dict[str, str]]] = deque()
        self.answers: list[dict[str, Any]] = []

    def _ts(self) -> str:
        self.clock += timedelta(milliseconds=250)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z"

    def _send(self) -> None:
        while self.queue:
            path, fields = self.queue.popleft()
            form = {**fields, "ts": self._ts(), "token": self.token}
            answer = httpx.post(f"{self.host}{path}", data=form, headers={"Origin": ORIGIN})
            assert answer.status_code == 200, answer.text
            assert answer.headers["access-control-allow-origin"] == "*"
            body = answer.json()
            self.answers.append(body)
            if path == "/sessions":
                self.token = body["token"]

    def track_event(self, action: str, data: dict[str, Any]) -> None:
        if not self.token:
            self.queue.append(("/sessions", {"consumer_key": self.consumer_key}))
        self.queue.append(("/events", {"action": action, "data": json.dumps(data)}))
        self._send()

    def stop_session(self, reason: str) -> None:
        self.track_event("stopSession", {"reason": reason})
        self.queue.append(("/sessions/stop", {}))
        self._send()


def test_example_client_flow_over_http(tmp_path: Path) -> None:
    env = {"TIDINGS_MICROTICKS_KEY": "s3cret"}
    with running_server(tmp_path / "data", env) as server:
        created = json.loads(server.cli("consumer", "create", "lib", "--json"))
        client = ExampleClient(
            server.url, created["key"], datetime(2017, 8, 25, 17, 10, tzinfo=UTC)
        )
        client.track_event("click", {"target": "search-button", "clickX": 406, "clickY": 300})
        client.track_event("click", {"target": "", "clickX": 12, "clickY": 40})
        client.stop_session("unload")
        assert [sorted(a) for a in client.answers] == [
            ["status", "token"],
            ["event_id", "status"],
            ["event_id", "status"],
            ["event_id", "status"],
            ["status"],
        ]

        read = {"key": "s3cret"}
        sessions = httpx.get(f"{server.url}/sessions", params=read).json()
        assert sessions["sessions"] == [
            {
                "clicks": 2,
                "consumer_id": created["id"],
                "id": 1,
                "last_action": "2017-08-25T17:10:01.000Z",
                "started_at": "2017-08-25T17:10:00.250Z",
                "stopped_at": "2017-08-25T17:10:01.250Z",
            }
        ]
        events = httpx.get(f"{server.url}/events", params={**read, "sort.desc": "time"}).json()
        assert [(e["action"], e["data"]) for e in events["events"]] == [
            ("stopSession", {"reason": "unload"}),
            ("click", {"clickX": 12, "clickY": 40, "target": ""}),
            ("click", {"clickX": 406, "clickY": 300, "target": "search-button"}),
        ]

        # The same events through the native API, as core events of source "lib".
        native = httpx.get(
            f"{server.url}/api/v1/events", params={"namespace": "microticks"}, auth=server.admin
        ).json()["events"]
        assert [(e["source"], e["name"]) for e in native] == [
            ("lib", "click"),
            ("lib", "click"),
            ("lib", "stopSession"),
        ]
        assert len({e["session_id"] for e in native}) == 1

        # A deleted consumer's key is refused with the original message.
        server.cli("consumer", "delete", "lib")
        refused = httpx.post(
            f"{server.url}/sessions",
            data={"consumer_key": created["key"], "ts": "2017-08-25T18:00:00.000Z"},
        )
        assert refused.json() == {"error": "Consumer is not active.", "status": 400}
