"""Erasing a person: the events of every id linked to them (rollups rebuilt) and their
person record (traits, linked ids, group memberships), in one transaction."""

from __future__ import annotations

from typing import TypedDict

from tidings.storage.base import Storage


class Erasure(TypedDict):
    deleted: int
    person_records: int
    ids: dict[str, int]


def erase_person(
    storage: Storage, user_id: str | None, anonymous_id: str | None, dry_run: bool = False
) -> Erasure:
    """Returns ``{"deleted": events, "person_records": rows, "ids": {id: events}}``:
    ``ids`` names every id of the person (the given ones and those linked to the user by
    identify or alias) with the events erased under it. ``dry_run``: what would be erased,
    nothing changed."""
    counts, records = storage.erase_linked(
        user_id=user_id, anonymous_id=anonymous_id, dry_run=dry_run
    )
    return {"deleted": sum(counts.values()), "person_records": records, "ids": counts}
