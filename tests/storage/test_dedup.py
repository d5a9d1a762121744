"""storage/dedup.py: which client message ids of a batch repeat stored events."""

from __future__ import annotations

import dataclasses

from tidings.model.events import EventDraft
from tidings.model.ids import derived_message_id
from tidings.storage.dedup import DAY_US, Found, derived_repeats, lookups, new_ids, window

RECEIVED = 1_700_000_000_000_000
DAY = RECEIVED // DAY_US


def draft(source_id: int, message_id: str | None) -> EventDraft:
    return EventDraft(
        source_id, "ns", "n", RECEIVED, RECEIVED, 1.0, None, None, message_id, None, None, None
    )


def test_lookups_gather_client_ids_per_source_and_day_and_skip_drafts_without_one() -> None:
    next_day = dataclasses.replace(draft(1, "d"), received_at=RECEIVED + DAY_US)
    wanted = lookups([draft(1, "a"), draft(2, "b"), draft(1, None), draft(1, "c"), next_day])
    assert wanted.stored == {(1, DAY): ["a", "c"], (2, DAY): ["b"], (1, DAY + 1): ["d"]}
    assert wanted.derived == {}


def test_lookups_name_the_event_a_derived_looking_id_could_come_from() -> None:
    derived = derived_message_id(42, RECEIVED)
    wanted = lookups([draft(1, derived), draft(2, derived)])
    assert wanted.stored == {(1, DAY): [derived], (2, DAY): [derived]}
    assert wanted.derived == {42: [(1, derived), (2, derived)]}


def test_a_derived_id_repeats_only_the_event_it_was_derived_from() -> None:
    derived = derived_message_id(42, RECEIVED)
    wanted = lookups([draft(1, derived)])
    found: Found = {}
    # Same id, other source; same id and source, other receipt time: neither is a repeat.
    derived_repeats(wanted, [(42, 2, RECEIVED), (42, 1, RECEIVED + 1000)], found)
    assert found == {}
    derived_repeats(wanted, [(42, 1, RECEIVED)], found)
    assert found == {(1, derived): 42}


def test_an_event_storing_the_id_as_its_message_id_wins_over_a_derived_match() -> None:
    derived = derived_message_id(42, RECEIVED)
    wanted = lookups([draft(1, derived)])
    found: Found = {(1, derived): 7}
    derived_repeats(wanted, [(42, 1, RECEIVED)], found)
    assert found == {(1, derived): 7}


def test_ids_that_cannot_be_derived_ask_for_no_candidate() -> None:
    not_v7 = "0190a0b0-c0d0-4000-8000-000000000001"
    assert lookups([draft(1, "plain"), draft(1, not_v7)]).derived == {}


def test_an_event_is_checked_against_its_own_day_and_the_window_before_it() -> None:
    assert window(DAY, 3) == [DAY - 3, DAY - 2, DAY - 1, DAY]
    assert window(DAY, 0) == [DAY]


def test_new_client_ids_are_remembered_under_the_day_their_event_was_received() -> None:
    # Rows in events column order: id, source, stream, ts, received_at, value, message_id, ...
    rows = [
        (5, 1, 9, 0, RECEIVED, 1.0, "a", None, None, None, None, None),
        (6, 1, 9, 0, RECEIVED + DAY_US, 1.0, None, None, None, None, None, None),
        (7, 2, 9, 0, RECEIVED + DAY_US, 1.0, "b", None, None, None, None, None),
    ]
    assert new_ids(rows) == [(1, "a", DAY, 5), (2, "b", DAY + 1, 7)]
