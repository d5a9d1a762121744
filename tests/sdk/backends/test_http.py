"""HTTPBackend: tracking envelopes become core events sent through a Client."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from tidings.sdk import HTTPBackend, Tracker


def _sent(requests: list[httpx.Request]) -> list[dict[str, Any]]:
    return [e for r in requests for e in json.loads(gzip.decompress(r.content))["events"]]


def _backend(requests: list[httpx.Request], **options: Any) -> HTTPBackend:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0, "ids": [1]})

    return HTTPBackend("http://t", "wk", transport=httpx.MockTransport(handle), **options)


def test_envelope_maps_to_a_core_event() -> None:
    requests: list[httpx.Request] = []
    backend = _backend(requests)
    tracker = Tracker({"tidings": backend})
    with tracker.context("request", {"user_id": 42, "session": "s-1", "path": "/x"}):
        tracker.emit("edx.video.played", {"position": 3})
    backend.shutdown(10)
    (event,) = _sent(requests)
    assert event["namespace"] == "tracking"
    assert event["name"] == "edx.video.played"
    assert event["properties"] == {"position": 3}
    assert event["context"] == {"user_id": 42, "session": "s-1", "path": "/x"}
    assert event["user_id"] == "42"
    assert event["session_id"] == "s-1"
    assert event["timestamp"].endswith("+00:00")


def test_legacy_shaped_event_and_extra_keys_are_kept() -> None:
    requests: list[httpx.Request] = []
    backend = _backend(requests, namespace="lms")
    backend.send(
        {
            "event_type": "problem_check",
            "time": datetime(2024, 5, 1, 12, tzinfo=UTC),
            "event": "raw browser data",
            "event_source": "browser",
            "context": {},
        }
    )
    backend.shutdown(10)
    (event,) = _sent(requests)
    assert event["namespace"] == "lms"
    assert event["name"] == "problem_check"
    assert event["timestamp"] == "2024-05-01T12:00:00+00:00"
    assert event["properties"] == {"data": "raw browser data"}
    assert event["context"] == {"event_source": "browser"}
