"""What the edX webhook tests share: the original tests' sample request, the settings the
original tests ran with, and a reader of what was stored."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tidings.config import Settings

SECRET = "anything-secret"
USER_ID = 10
URL = f"/segmentio/event?key={SECRET}"

# The sample request of the original tests (create_segmentio_event).
SAMPLE: dict[str, Any] = {
    "userId": USER_ID,
    "event": "Did something",
    "properties": {"event_type": "", "event": {}, "context": {"course_id": ""}},
    "channel": "mobile",
    "context": {"library": {"name": "unknown", "version": "unknown"}},
    "receivedAt": "2014-08-27T16:33:39.100Z",
    "timestamp": "2014-08-27T16:33:39.215Z",
    "type": "track",
    "projectId": "u0j33yjkr8",
    "messageId": "qy52hwp4",
    "version": 2,
    "integrations": {},
    "options": {"library": "unknown", "providers": {}},
    "action": "Track",
}


def sample(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(SAMPLE)
    event.update(changes)
    return event


def webhook_settings(tmp_path: Path, **changes: Any) -> Settings:
    """The settings of the original tests: mobile only, Track and Screen."""
    original: dict[str, Any] = {
        "segmentio_webhook_secret": SECRET,
        "segmentio_allowed_channels": "mobile",
        "segmentio_allowed_actions": "Track,Screen",
    }
    return Settings(
        data_dir=str(tmp_path / "data"), admin_password=ADMIN[1], **{**original, **changes}
    )


def stored(client: TestClient) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/events", auth=ADMIN)
    events: list[dict[str, Any]] = answer.json()["events"]
    return events
