from __future__ import annotations

from typing import Any

import pytest

from tidings.errors import Invalid
from tidings.model.events import validate_event, validate_events

NOW = 1_767_225_600_000_000


def _check(obj: Any) -> list[str]:
    draft, errors = validate_event(obj, source_id=1, received_at=NOW, max_event_bytes=64)
    assert (draft is None) == bool(errors)
    return [e.field for e in errors]


def test_minimal_event_gets_defaults() -> None:
    draft, errors = validate_event(
        {"namespace": "a", "name": "b"}, source_id=7, received_at=NOW, max_event_bytes=64
    )
    assert errors == []
    assert draft is not None
    assert (draft.source_id, draft.value, draft.timestamp) == (7, 1.0, NOW)
    assert draft.message_id is None  # storage derives it from the event id


@pytest.mark.parametrize(
    ("obj", "fields"),
    [
        ({"name": "b"}, ["namespace"]),
        ({"namespace": "", "name": "b"}, ["namespace"]),
        ({"namespace": "a" * 201, "name": "b"}, ["namespace"]),
        ({"namespace": "a", "name": 3}, ["name"]),
        ({"namespace": "a", "name": "b", "value": "x"}, ["value"]),
        ({"namespace": "a", "name": "b", "value": True}, ["value"]),
        ({"namespace": "a", "name": "b", "value": float("inf")}, ["value"]),
        ({"namespace": "a", "name": "b", "timestamp": "soon"}, ["timestamp"]),
        ({"namespace": "a", "name": "b", "properties": [1]}, ["properties"]),
        ({"namespace": "a", "name": "b", "context": {"k": "v" * 100}}, ["context"]),
        ({"namespace": "a", "name": "b", "user_id": [5]}, ["user_id"]),
        ({"namespace": "a", "name": "b", "colour": "red"}, ["colour"]),
        ({"namespace": "a\x00", "name": "b"}, ["namespace"]),
        ({"namespace": "a", "name": "b", "properties": {"k": "\x00"}}, ["properties"]),
        ([], ["body"]),
    ],
)
def test_bad_fields_are_named(obj: Any, fields: list[str]) -> None:
    assert _check(obj) == fields


def test_a_batch_is_rejected_whole_with_each_index() -> None:
    with pytest.raises(Invalid) as caught:
        validate_events(
            [{"namespace": "a", "name": "b"}, {"namespace": "a"}, {"name": "b"}],
            source_id=1,
            received_at=NOW,
            max_event_bytes=64,
        )
    assert [e.field for e in caught.value.errors] == ["events.1.name", "events.2.namespace"]


def test_integer_ids_are_kept_as_strings() -> None:
    draft, _ = validate_event(
        {"namespace": "a", "name": "b", "user_id": 42},
        source_id=1,
        received_at=NOW,
        max_event_bytes=64,
    )
    assert draft is not None
    assert draft.user_id == "42"
