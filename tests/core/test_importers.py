"""Message ids for imported lines that carry none: identical lines stay apart, a re-read
repeats every id, and a first occurrence keeps the id earlier imports gave it."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from tidings.core.importers import LineIds, to_native


@given(st.lists(st.sampled_from([b'{"a":1}', b'{"a":2}', b'{"b":1}\n', b" x "]), max_size=30))
def test_every_line_gets_its_own_id_and_a_reread_the_same_ones(lines: list[bytes]) -> None:
    ids, again = LineIds(), LineIds()
    first = [ids(line) for line in lines]
    assert len(set(first)) == len(first)
    assert [again(line) for line in lines] == first


def test_a_first_occurrence_keeps_the_id_of_earlier_imports() -> None:
    line = b'{"name": "play_video", "time": "2024-01-01T00:00:00Z"}'
    earlier = "import-" + hashlib.sha256(line).hexdigest()[:32]
    derive = LineIds()
    assert to_native(line, "edx", derive)["message_id"] == earlier
    assert to_native(line, "edx", derive)["message_id"] == earlier + "-2"


def test_an_exported_line_keeps_its_source_and_receipt_time_but_not_its_id() -> None:
    line = (
        b'{"id": 7, "source": "web", "received_at": "2024-01-01T00:00:00.000005Z",'
        b' "namespace": "a", "name": "b", "message_id": "m1"}'
    )
    event = to_native(line, "auto", LineIds())
    assert "id" not in event
    assert event["source"] == "web" and event["received_at"].endswith(".000005Z")
