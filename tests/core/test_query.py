"""Cursor pagination returns every event exactly once, whatever the page size."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.query import iter_all, page
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.sqlite import SQLiteStorage

_ids = itertools.count()


def _draft(namespace: str, name: str) -> EventDraft:
    n = next(_ids)
    return EventDraft(1, namespace, name, n, n, 1.0, None, None, f"q{n}", None, None, None)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(st.sampled_from(["a", "b"]), max_size=40),
    limit=st.integers(1, 9),
    wanted=st.sampled_from([(), ("a",), ("a", "b")]),
)
def test_cursor_pages_return_each_event_exactly_once(
    shared_storage: SQLiteStorage, names: list[str], limit: int, wanted: tuple[str, ...]
) -> None:
    namespace = f"ns{next(_ids)}"
    results = shared_storage.insert_batch([_draft(namespace, n) for n in names]) if names else []
    expected = [r.id for r, n in zip(results, names, strict=True) if not wanted or n in wanted]
    flt = EventFilter(namespace=namespace, names=wanted)
    seen: list[int] = []
    after = 0
    while True:
        events, next_after = page(shared_storage, flt, after, limit)
        seen.extend(e.id for e in events)
        if next_after is None:
            break
        after = next_after
    assert seen == expected
    assert [e.id for e in iter_all(shared_storage, flt)] == expected
