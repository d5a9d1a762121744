"""Message ids derived from event ids: valid UUIDv7s, reversible, ordered by receipt time."""

from __future__ import annotations

import uuid

import pytest

from tidings.model.ids import derived_event_id, derived_message_id, uuid7

T = 1_700_000_000_123_456  # a received_at in microseconds


@pytest.mark.parametrize("event_id", [1, 2, 4095, 2**62 - 1, 2**62, 2**63 - 1])
def test_a_derived_id_leads_back_to_its_event(event_id: int) -> None:
    assert derived_event_id(derived_message_id(event_id, T)) == event_id


def test_a_derived_id_is_a_canonical_uuid7_carrying_the_receipt_millisecond() -> None:
    text = derived_message_id(12345, T)
    parsed = uuid.UUID(text)
    assert str(parsed) == text  # lowercase, dashed, 36 characters
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == T // 1000


def test_a_derived_id_is_the_same_on_every_call() -> None:
    assert derived_message_id(7, T) == derived_message_id(7, T)


def test_derived_ids_sort_by_receipt_time_then_by_event_id() -> None:
    later = [derived_message_id(1, T + 1000), derived_message_id(2, T + 1000)]
    assert sorted([*later, derived_message_id(99, T)]) == [derived_message_id(99, T), *later]


def test_ids_of_other_events_differ() -> None:
    assert len({derived_message_id(i, T) for i in range(1, 10_000)}) == 9_999


@pytest.mark.parametrize(
    "text",
    [
        "",
        "client-chosen-id",
        "018b2f5e-1c3a-4abc-8def-0123456789ab",  # version 4
        "018b2f5e-1c3a-7abc-cdef-0123456789ab",  # variant 0b110
        "018B2F5E-1C3A-7ABC-8DEF-0123456789AB",  # not lowercase
        "018b2f5e-1c3a-7abc-8def-0123456789a",  # too short
        "018b2f5e-1c3a-7abc-8def-0123456789abc",  # too long
        "018b2f5e_1c3a-7abc-8def-0123456789ab",  # not dashed
        "018b2f5e-1c3a-7abc-8deg-0123456789ab",  # not hex
        "018b2f5e-1c3a-7fff-bfff-ffffffffffff",  # names an id past the 64-bit range
    ],
)
def test_strings_that_no_event_id_derives_give_none(text: str) -> None:
    assert derived_event_id(text) is None


def test_a_generated_uuid7_is_only_a_candidate() -> None:
    # Any UUIDv7 decodes to some number; callers compare the full derived string.
    text = uuid7()
    candidate = derived_event_id(text)
    if candidate is not None:
        assert derived_message_id(candidate, T) != text
