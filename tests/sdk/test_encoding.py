"""Local checks in ``track`` mirror the server's, naming the field."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tidings.sdk.encoding import encode_event


def test_event_gets_a_uuid_message_id_and_a_utc_timestamp() -> None:
    mid, data = encode_event("app", "open")
    event = json.loads(data)
    assert uuid.UUID(mid)
    assert event["message_id"] == mid
    assert event["timestamp"].endswith("+00:00")
    assert event["value"] == 1


def test_aware_timestamp_is_converted_to_utc_and_naive_taken_as_utc() -> None:
    plus2 = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert json.loads(encode_event("a", "b", timestamp=plus2)[1])["timestamp"] == (
        "2024-01-01T10:00:00+00:00"
    )
    naive = datetime(2024, 1, 1, 12)
    assert json.loads(encode_event("a", "b", timestamp=naive)[1])["timestamp"] == (
        "2024-01-01T12:00:00+00:00"
    )


def test_datetimes_inside_properties_are_serialized() -> None:
    data = encode_event("a", "b", properties={"at": datetime(2024, 1, 1, 12)})[1]
    assert json.loads(data)["properties"] == {"at": "2024-01-01T12:00:00+00:00"}


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"namespace": ""}, ValueError, "namespace"),
        ({"name": "x" * 201}, ValueError, "name"),
        ({"name": 3}, TypeError, "name"),
        ({"name": "a\udc00"}, ValueError, "name"),
        ({"value": float("nan")}, ValueError, "value"),
        ({"value": "1"}, TypeError, "value"),
        ({"value": True}, TypeError, "value"),
        ({"properties": [1]}, TypeError, "properties"),
        ({"properties": {"x": float("inf")}}, ValueError, "properties"),
        ({"properties": {"x": object()}}, TypeError, "properties"),
        ({"properties": {"x": "\ud800"}}, ValueError, "properties"),
        ({"properties": {"x": "y" * 40_000}}, ValueError, "properties"),
        ({"user_id": "u\x00"}, ValueError, "user_id"),
        ({"timestamp": object()}, TypeError, "timestamp"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_argument_raises_naming_the_field(kwargs, error, field) -> None:
    args = {"namespace": "app", "name": "open", **kwargs}
    with pytest.raises(error, match=field):
        encode_event(**args)


def test_nul_inside_properties_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        encode_event("a", "b", properties={"x": "a\x00b"})
