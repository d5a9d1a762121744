"""Counting what a delete or an erasure would remove: the same events and records the real
one removes, with nothing changed (``tidings erase --dry-run``, the export's progress)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.storage.test_contract import T, draft, source
from tidings.model.records import EventFilter
from tidings.storage import persons
from tidings.storage.base import Storage

FILTERS = st.builds(
    EventFilter,
    names=st.sampled_from([(), ("a",), ("b",), ("a", "b")]),
    user_id=st.sampled_from([None, "u0", "u1"]),
    from_us=st.sampled_from([None, T + 3]),
    to_us=st.sampled_from([None, T + 9]),
    props=st.sampled_from([(), (("k", "1"),)]),
)


def _fill(storage: Storage) -> None:
    src = source(storage)
    storage.insert_batch(
        [
            draft(
                src,
                T + i,
                name="ab"[i % 2],
                user_id=f"u{i % 3}",
                properties=f'{{"k": {i % 2}}}',
            )
            for i in range(12)
        ]
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flt=FILTERS)
def test_count_matching_is_what_list_finds_and_a_dry_delete_changes_nothing(
    storage: Storage, flt: EventFilter
) -> None:
    if not storage.list_sources():
        _fill(storage)
    listed = len(storage.list_events(flt, 0, 1000))
    assert storage.count_matching(flt) == listed
    if flt != EventFilter():
        assert storage.delete_events(flt, dry_run=True) == listed
    assert storage.count_events() == 12


def test_a_dry_erasure_counts_what_the_erasure_removes(storage: Storage) -> None:
    src = source(storage)
    ann, anon = draft(src, T + 1, user_id="ann"), draft(src, T + 2, anonymous_id="anon-1")
    storage.insert_batch([ann, anon, draft(src, T + 3, user_id="bob")])
    persons.identify(storage.engine, "ann", "anon-1", {"plan": "pro"})
    preview = storage.erase_linked(user_id="ann", dry_run=True)
    assert storage.count_events() == 3
    assert storage.erase_linked(user_id="ann") == preview
    assert preview[0] == {"ann": 1, "anon-1": 1} and preview[1] > 0
