"""With the analytics tier on, an acknowledged event is in the aggregate's answers at once
(the unapplied tail), and the feeder applies it in the background soon after."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tidings.app import create_app
from tidings.config import Settings
from tidings.core.analytics.tier import Tier
from tidings.core.auth import secret_hash
from tidings.http.deps import Runtime

WINDOW = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z"


def test_an_acknowledged_event_is_counted_at_once_and_fed_soon(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"), admin_password=ADMIN[1])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        rt: Runtime = client.app.app.state.runtime  # type: ignore[attr-defined]
        tier = rt.event_sql
        assert isinstance(tier, Tier)  # on by default with SQLite
        rt.storage.create_source("web", secret_hash("fresh-key"), None)
        query = (
            f"/api/v1/aggregate?namespace=site&{WINDOW}&granularity=total"
            "&group_by=prop.plan&fn=distinct_users"
        )
        for i in range(3):
            event = {
                "namespace": "site",
                "name": "signup",
                "user_id": f"u{i}",
                "properties": {"plan": "pro"},
                "timestamp": "2026-03-10T12:00:00Z",
            }
            sent = client.post("/api/v1/events", json=event, headers={"X-Write-Key": "fresh-key"})
            assert sent.status_code in (200, 202), sent.text
            answer = client.get(query, auth=ADMIN)
            assert answer.status_code == 200, answer.text
            assert answer.json()["buckets"] == [
                {
                    "start": "2026-03-01T00:00:00+00:00",
                    "value": i + 1,
                    "count": i + 1,
                    "group": "pro",
                }
            ]
        deadline = time.monotonic() + 10
        while tier.store.hwm() < rt.storage.count_events() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting on the feeder thread's condition, bounded
        assert tier.store.hwm() == rt.storage.count_events() == 3
