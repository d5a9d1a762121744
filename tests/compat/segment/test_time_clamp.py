"""Segment times that are still implausible after the ``sentAt`` skew correction (before 2000,
or more than a day ahead of the server) are clamped to the receive time: the message is kept,
since an SDK drops a refused message for good. Plausible ones are stored as corrected."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tidings.model.timeparse import parse_timestamp


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _stored(client: TestClient, viewer: tuple[str, str]) -> list[tuple[int, int]]:
    answer = client.get("/api/v1/events", auth=viewer)
    assert answer.status_code == 200
    return [
        (parse_timestamp(e["timestamp"]), parse_timestamp(e["received_at"]))
        for e in answer.json()["events"]
    ]


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("message", "clamped"),
    [
        ({"timestamp": (NOW + timedelta(days=30)).isoformat()}, True),
        ({"timestamp": "1995-03-04T05:06:07Z"}, True),
        # The client's clock is a year behind: corrected, the time is plausible.
        (
            {
                "originalTimestamp": (NOW - timedelta(days=365, seconds=5)).isoformat(),
                "sentAt": (NOW - timedelta(days=365)).isoformat(),
            },
            False,
        ),
        # Corrected for the clock, still ten years ahead: clamped.
        (
            {
                "timestamp": (NOW + timedelta(days=3650)).isoformat(),
                "sentAt": NOW.isoformat(),
            },
            True,
        ),
        ({"timestamp": (NOW + timedelta(hours=20)).isoformat()}, False),
    ],
    ids=["a month ahead", "1995", "slow clock corrected", "ahead after correction", "20 h ahead"],
)
@pytest.mark.parametrize("path", ["/v1/track", "/v1/batch"])
def test_implausible_times_are_clamped_to_the_receive_time(
    client: TestClient,
    write_key: str,
    viewer: tuple[str, str],
    message: dict[str, str],
    clamped: bool,
    path: str,
) -> None:
    call = {"userId": "u", "event": "e", **message}
    body = {"batch": [{"type": "track", **call}]} if path == "/v1/batch" else call
    answer = client.post(path, json=body, headers=_basic(write_key))
    assert answer.json() == {"success": True}
    [(timestamp, received)] = _stored(client, viewer)
    if clamped:
        assert timestamp == received
    else:
        assert abs(timestamp - received) > 1_000_000
        assert timestamp - received <= 86_400_000_000
