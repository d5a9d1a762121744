"""Erasing a person: their events (rollups rebuilt) and their person record (traits, linked
ids, group memberships)."""

from __future__ import annotations

from tidings.storage import persons
from tidings.storage.base import Storage


def erase_person(storage: Storage, user_id: str | None, anonymous_id: str | None) -> dict[str, int]:
    """Returns ``{"deleted": events, "person_records": rows}``. Events go first: should the
    second step fail, a retry still finds the person record to remove."""
    deleted = storage.erase_person(user_id=user_id, anonymous_id=anonymous_id)
    forgotten = persons.forget(storage.engine, user_id) if user_id else 0
    return {"deleted": deleted, "person_records": forgotten}
