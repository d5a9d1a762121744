"""Hostile input to the edX webhook, ``POST /segmentio/event``: always a 4xx in its
``{"committed": false, "message": ...}`` shape naming the field, and nothing stored."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.http.fuzz_app import EDX_SECRET, EDX_USER, World, fuzz_world
from tests.http.hostile import Target
from tests.http.hostile_suites import HostileSuite

world = pytest.fixture(scope="module")(fuzz_world)

#: The webhook's sample event (the edx-platform segmentio tests), with a course context.
EVENT: dict[str, Any] = {
    "userId": EDX_USER,
    "event": "Did something",
    "properties": {
        "event_type": "edx.video.played",
        "event": {"currentTime": 12.5, "id": "video-1"},
        "context": {"course_id": "course-v1:Org+Course+Run", "open_in_browser_url": "x"},
    },
    "channel": "mobile",
    "context": {"library": {"name": "unknown", "version": "unknown"}, "userAgent": "app/1"},
    "receivedAt": "2014-08-27T16:33:39.100Z",
    "timestamp": "2014-08-27T16:33:39.215Z",
    "type": "track",
    "messageId": "qy52hwp4",
    "action": "Track",
}


def _webhook(w: World) -> Target:
    return Target(
        "segmentio",
        f"/segmentio/event?key={EDX_SECRET}",
        EVENT,
        timestamps=("timestamp", "receivedAt"),
        stored=(
            "properties.event_type",
            "properties.event",
            "properties.event.id",
            "properties.context",
            "properties.context.course_id",
            "context",
            "context.userAgent",
            "messageId",
        ),
    )


class TestEdxWebhook(HostileSuite):
    TARGETS: ClassVar[dict[str, Any]] = {"segmentio": _webhook}
