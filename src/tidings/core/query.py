"""Listing and exporting events: filters, cursor pages, and the event's wire shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tidings.model.records import EventFilter, StoredEvent
from tidings.model.timeparse import to_iso
from tidings.storage.base import Storage

EXPORT_CHUNK = 1000


def event_dict(event: StoredEvent) -> dict[str, Any]:
    """The native API shape of a stored event (api.md section 7)."""
    return {
        "id": event.id,
        "message_id": event.message_id,
        "source": event.source,
        "namespace": event.namespace,
        "name": event.name,
        "timestamp": to_iso(event.timestamp),
        "received_at": to_iso(event.received_at),
        "value": event.value,
        "properties": orjson.loads(event.properties) if event.properties else {},
        "context": orjson.loads(event.context) if event.context else {},
        "user_id": event.user_id,
        "anonymous_id": event.anonymous_id,
        "session_id": event.session_id,
    }


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
