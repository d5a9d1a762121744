"""The stored event's fields, named once: the native API's JSON shape, the export columns and
the live payload are all spelled from :data:`EVENT_FIELDS` (the fields of ``StoredEvent``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import orjson

from tidings.model.events import EventDraft, message_id_of
from tidings.model.records import StoredEvent
from tidings.model.timeparse import to_iso

#: The event as readers see it, in the order of every export and API answer.
EVENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(StoredEvent))
#: Fields held as JSON text in storage and as objects on the wire (``{}`` when empty).
JSON_FIELDS = frozenset(("properties", "context"))
#: Fields held as UTC microseconds in storage and as ISO 8601 strings on the wire.
TIME_FIELDS = frozenset(("timestamp", "received_at"))


def stored_of(draft: EventDraft, event_id: int, source: str) -> StoredEvent:
    """The stored event a committed draft became, without reading it back."""
    return StoredEvent(
        id=event_id,
        message_id=message_id_of(draft, event_id),
        source=source,
        namespace=draft.namespace,
        name=draft.name,
        timestamp=draft.timestamp,
        received_at=draft.received_at,
        value=draft.value,
        properties=draft.properties,
        context=draft.context,
        user_id=draft.user_id,
        anonymous_id=draft.anonymous_id,
        session_id=draft.session_id,
    )


def event_dict(event: StoredEvent, *, raw_json: bool = False) -> dict[str, Any]:
    """The native API shape of a stored event (api.md section 7). ``raw_json`` embeds the
    JSON fields as pre-encoded fragments for ``orjson.dumps`` instead of parsing them."""
    found: dict[str, Any] = {}
    for name in EVENT_FIELDS:
        value = getattr(event, name)
        if name in TIME_FIELDS:
            value = to_iso(value)
        elif name in JSON_FIELDS:
            if not value:
                value = {}
            else:
                value = orjson.Fragment(value) if raw_json else orjson.loads(value)
        found[name] = value
    return found
