"""Committed events as streams see them: filter matching and shared wire bytes."""

from __future__ import annotations

import pytest

from tests.core.live.helpers import event
from tidings.core.live import LiveBatch, LiveEvent, frames, matches
from tidings.model.records import EventFilter


@pytest.mark.parametrize(
    ("flt", "item", "expected"),
    [
        (EventFilter(), event(), True),
        (EventFilter(source="web"), event(source="app"), False),
        (EventFilter(namespace="n", names=("a", "e")), event(), True),
        (EventFilter(names=("a",)), event(), False),
        (EventFilter(user_id="u1"), event(user_id="u1"), True),
        (EventFilter(session_id="s"), event(session_id=None), False),
        (EventFilter(from_us=5, to_us=6), event(ts=5), True),
        (EventFilter(to_us=5), event(ts=5), False),
        (EventFilter(props=(("plan", "pro"),)), event(properties={"plan": "pro"}), True),
        (EventFilter(props=(("n", "2"),)), event(properties={"n": 2}), True),
        (EventFilter(props=(("ok", "true"),)), event(properties={"ok": True}), True),
        (EventFilter(props=(("plan", "pro"),)), event(properties={}), False),
    ],
)
def test_matches_applies_the_list_filters(
    flt: EventFilter, item: LiveEvent, expected: bool
) -> None:
    assert matches(flt, item) is expected


def test_frames_are_sse_frames_or_ndjson_lines() -> None:
    batch = LiveBatch([event(id=3), event(id=4)])
    sse = frames(batch, True)
    assert sse.startswith(b"id: 3\ndata: {") and sse.count(b"\n\n") == 2
    lines = frames([event(id=5)], False).splitlines()
    assert len(lines) == 1 and lines[0].startswith(b'{"id":5')


def test_a_batch_builds_its_bytes_once_per_format() -> None:
    batch = LiveBatch([event(id=3)])
    assert frames(batch, True) is frames(batch, True)
    assert frames(batch, False) is frames(batch, False)
    assert frames(batch, False) == batch[0].json + b"\n"
