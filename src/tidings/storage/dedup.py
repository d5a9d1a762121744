"""Which client message ids of a batch name events already stored: the part both engines share.

A client id repeats an event of its source when that event was stored with it within the
de-duplication window, or when that event was stored without one and the id is exactly the
one derived for it (:func:`tidings.model.ids.derived_message_id`). The second case is what an
export holds, so importing it into the same installation stores nothing twice, at any age.

The window: client ids are looked up in the ``message_ids`` table, which remembers each id
with the UTC day its event was received. An event repeats an id received on its own day or
within the ``dedup_window_days`` whole days before (``TIDINGS_DEDUP_WINDOW_DAYS``, like
Segment's de-duplication window); a background pass deletes older ids, and an older one met
before that is replaced by the new event. A unique index over every id ever stored made each
insert slower as history grew: SDKs send random UUIDv4 ids, each lands on its own B-tree page,
and once the index outgrew the cache every commit wrote a page per event
(bench/dedup_options.py). The table holds the window, not all history. Within the window the
answer stays exact: writers look up and insert under the database's write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tidings.model.events import EventDraft
from tidings.model.ids import derived_event_id, derived_message_id

#: (source id, client message id) -> id of the stored event it repeats.
Found = dict[tuple[int, str], int]

DAY_US = 86_400_000_000
#: Whole UTC days a client message id is remembered after the day it was stored, by default.
DEFAULT_WINDOW_DAYS = 7
#: ``message_ids`` rows deleted per transaction by the expiry pass.
EXPIRE_BATCH = 5000

#: Deletes up to ``n`` ids received before day ``first``, oldest first (row values: both
#: engines, and no DELETE ... LIMIT, which SQLite builds leave out by default).
EXPIRE_SQL = (
    "DELETE FROM message_ids WHERE (source_id, message_id) IN (SELECT source_id, message_id "
    "FROM message_ids WHERE day < :first ORDER BY day LIMIT :n)"
)


def day_of(us: int) -> int:
    """The UTC day (days since the epoch) of a time in microseconds."""
    return us // DAY_US


def window(day: int, days: int) -> list[int]:
    """The days whose stored ids an event received on ``day`` is checked against."""
    return list(range(day - days, day + 1))


#: ``message_ids`` columns in the order :func:`new_ids` gives them.
MESSAGE_ID_COLUMNS = ("source_id", "message_id", "day", "event_id")


def new_ids(rows: Iterable[tuple[Any, ...]]) -> list[tuple[object, ...]]:
    """``message_ids`` rows (source id, message id, day received, event id) for a batch's new
    event rows (in ``events`` column order) that carry a client message id."""
    return [(row[1], row[6], row[4] // DAY_US, row[0]) for row in rows if row[6] is not None]


@dataclass(slots=True)
class Lookups:
    """What to look up for one batch.

    ``stored``: client ids per (source, UTC day received), to match against the ids stored
    in the window before that day.
    ``derived``: candidate event id -> (source id, client id) pairs that could be its
    derived id; only a full comparison against the stored event decides.
    """

    stored: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    derived: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def lookups(drafts: Sequence[EventDraft]) -> Lookups:
    wanted = Lookups()
    for draft in drafts:
        message_id = draft.message_id
        if message_id is None:
            continue
        key = (draft.source_id, draft.received_at // DAY_US)
        wanted.stored.setdefault(key, []).append(message_id)
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
