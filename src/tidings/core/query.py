"""Listing and exporting events: filters, cursor pages, and the event's wire shape."""

from __future__ import annotations

from collections.abc import Iterator

from tidings.model.records import EventFilter, StoredEvent
from tidings.model.wire import event_dict as event_dict
from tidings.storage.base import Storage

EXPORT_CHUNK = 1000


def page(
    storage: Storage, flt: EventFilter, after: int, limit: int
) -> tuple[list[StoredEvent], int | None]:
    """One page of events after cursor ``after``; the second item is the next cursor or None."""
    events = storage.list_events(flt, after, limit + 1)
    if len(events) > limit:
        events = events[:limit]
        return events, events[-1].id
    return events, None


def iter_all(storage: Storage, flt: EventFilter, after: int = 0) -> Iterator[StoredEvent]:
    """Every matching event in id order, fetched a chunk at a time (constant memory)."""
    while True:
        events = storage.list_events(flt, after, EXPORT_CHUNK)
        yield from events
        if len(events) < EXPORT_CHUNK:
            return
        after = events[-1].id
