"""What one batch of drafts writes, planned once for every engine.

An engine looks up which client message ids are already stored (:mod:`storage.dedup`) and
hands out ids; :func:`plan_batch` then decides everything else: which drafts repeat a stored
event or an earlier draft of the batch, each new event's id and row, the rollup rows of
every tier (:mod:`storage.rollups`) and the sealed days the batch makes stale
(:mod:`storage.day_stats`). The engine only writes the plan, in its own way.

This is the ingest hot path: one pass over the drafts, one tuple per new event, and a
dictionary lookup per draft for its stream (the database is asked only on a miss).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.storage.day_stats import stale_days, today_us
from tidings.storage.dedup import Found
from tidings.storage.rollups import TierRow, accumulate
from tidings.storage.schema import events

#: The events table's columns in table order: the order of every event row below.
EVENT_COLUMNS: tuple[str, ...] = tuple(column.name for column in events.columns)
#: The same, as a SQL column list.
EVENT_COLUMNS_SQL = ", ".join(EVENT_COLUMNS)

#: (source id, namespace, name) of a stream.
StreamKey = tuple[int, str, str]


@dataclass(slots=True)
class BatchPlan:
    """The writes of one batch: ``rows`` (in :data:`EVENT_COLUMNS` order), ``tiers`` (rollup
    rows per tier, finest first) and ``stale`` ((stream id, day) of sealed days to forget);
    ``results`` answers each draft, in order."""

    results: list[InsertResult] = field(default_factory=list)
    rows: list[tuple[object, ...]] = field(default_factory=list)
    tiers: list[list[TierRow]] = field(default_factory=list)
    stale: list[tuple[int, int]] = field(default_factory=list)


def fresh_count(drafts: Sequence[EventDraft], existing: Found) -> int:
    """How many ids the batch will hand out: drafts without a message id, plus the distinct
    message ids not stored yet (a repeat within the batch takes no id)."""
    keyed = {(d.source_id, d.message_id) for d in drafts if d.message_id is not None}
    unnamed = sum(1 for d in drafts if d.message_id is None)
    return unnamed + len(keyed - existing.keys())


def plan_batch(
    drafts: Sequence[EventDraft],
    existing: Found,
    next_id: int,
    streams: dict[StreamKey, int],
    new_stream: Callable[[StreamKey], int],
) -> BatchPlan:
    """Plan ``drafts`` whose new events take ids from ``next_id`` on, in draft order.

    ``existing`` (stored repeats, from the engine's lookup) gains the batch's own message
    ids. ``streams`` is the engine's stream cache; ``new_stream`` finds or creates a stream
    missing from it, and the plan caches its answer.
    """
    plan = BatchPlan()
    results, rows = plan.results, plan.rows
    keyed: list[tuple[int, int, float]] = []
    for draft in drafts:
        source_id = draft.source_id
        message_id = draft.message_id
        if message_id is not None:
            key = (source_id, message_id)
            original = existing.get(key)
            if original is not None:
                results.append(InsertResult(original, True))
                continue
            existing[key] = next_id
        stream_key = (source_id, draft.namespace, draft.name)
        stream_id = streams.get(stream_key)
        if stream_id is None:
            stream_id = streams[stream_key] = new_stream(stream_key)
        rows.append(
            (
                next_id,
                source_id,
                stream_id,
                draft.timestamp,
                draft.received_at,
                draft.value,
                message_id,
                draft.properties,
                draft.context,
                draft.user_id,
                draft.anonymous_id,
                draft.session_id,
            )
        )
        keyed.append((stream_id, draft.timestamp, draft.value))
        results.append(InsertResult(next_id, False))
        next_id += 1
    if rows:
        plan.tiers = accumulate(keyed)
        # Late events void the figures of a sealed day (one row per stream and day).
        plan.stale = stale_days(plan.tiers[-1], today_us())
    return plan
