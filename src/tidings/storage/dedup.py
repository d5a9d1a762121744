"""Which client message ids of a batch name events already stored: the part both engines share.

A client id repeats an event of its source when that event stores it as its message id, or
when that event was stored without one and the id is exactly the one derived for it
(:func:`tidings.model.ids.derived_message_id`). The second case is what an export holds, so
importing it into the same installation stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tidings.model.events import EventDraft
from tidings.model.ids import derived_event_id, derived_message_id

#: (source id, client message id) -> id of the stored event it repeats.
Found = dict[tuple[int, str], int]


@dataclass(slots=True)
class Lookups:
    """What to look up for one batch.

    ``stored``: client ids per source, to match against stored message ids.
    ``derived``: candidate event id -> (source id, client id) pairs that could be its
    derived id; only a full comparison against the stored event decides.
    """

    stored: dict[int, list[str]] = field(default_factory=dict)
    derived: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def lookups(drafts: Sequence[EventDraft]) -> Lookups:
    wanted = Lookups()
    for draft in drafts:
        message_id = draft.message_id
        if message_id is None:
            continue
        wanted.stored.setdefault(draft.source_id, []).append(message_id)
        event_id = derived_event_id(message_id)
        if event_id is not None:
            wanted.derived.setdefault(event_id, []).append((draft.source_id, message_id))
    return wanted


def derived_repeats(wanted: Lookups, rows: Iterable[tuple[int, int, int]], found: Found) -> None:
    """Add to ``found`` the client ids that are the derived ids of ``rows``.

    ``rows`` are ``(id, source_id, received_at)`` of candidate events stored without a
    message id. A client id already in ``found`` keeps the event that stores it.
    """
    for event_id, source_id, received_at in rows:
        derived = derived_message_id(event_id, received_at)
        for wanted_source, message_id in wanted.derived.get(event_id, ()):
            if wanted_source == source_id and message_id == derived:
                found.setdefault((source_id, message_id), event_id)
