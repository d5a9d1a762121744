"""storage/batch_plan.py: what a batch writes, decided once for every engine."""

from __future__ import annotations

from dataclasses import asdict

from tidings.model.events import EventDraft
from tidings.storage.batch_plan import EVENT_COLUMNS, StreamKey, fresh_count, plan_batch
from tidings.storage.day_stats import today_us
from tidings.storage.dedup import Found
from tidings.storage.rollups import accumulate
from tidings.storage.schema import TIERS, events

DAY = TIERS[-1][1]
NOW = today_us()


def draft(message_id: str | None, name: str = "n", ts: int = NOW, value: float = 1.0) -> EventDraft:
    return EventDraft(1, "ns", name, ts, NOW, value, '{"a":1}', None, message_id, "u", "x", "s")


class Streams:
    """A stream store that hands out ids from 100 and counts how often it was asked."""

    def __init__(self) -> None:
        self.asked: list[StreamKey] = []

    def __call__(self, key: StreamKey) -> int:
        self.asked.append(key)
        return 100 + len(self.asked)


def test_event_columns_are_the_events_table_in_order() -> None:
    assert EVENT_COLUMNS == tuple(events.columns.keys())
    assert EVENT_COLUMNS[0] == "id"  # bulk inserts rely on a first column never NULL


def test_each_row_holds_its_draft_under_the_column_names() -> None:
    one = draft("m1")
    plan = plan_batch([one], {}, 7, {}, Streams())
    (row,) = plan.rows
    stored = dict(zip(EVENT_COLUMNS, row, strict=True))
    fields = asdict(one)
    fields["ts"] = fields.pop("timestamp")
    for name in ("namespace", "name"):
        fields.pop(name)
    assert stored == {**fields, "id": 7, "stream_id": 101}


def test_repeats_keep_the_first_id_and_take_no_new_one() -> None:
    drafts = [draft("stored"), draft("a"), draft(None), draft("a"), draft(None)]
    existing: Found = {(1, "stored"): 3}
    assert fresh_count(drafts, existing) == 3
    plan = plan_batch(drafts, existing, 10, {}, Streams())
    assert [(r.id, r.duplicate) for r in plan.results] == [
        (3, True),
        (10, False),
        (11, False),
        (10, True),
        (12, False),
    ]
    assert [row[0] for row in plan.rows] == [10, 11, 12]
    assert existing == {(1, "stored"): 3, (1, "a"): 10}


def test_streams_are_asked_for_once_and_cached() -> None:
    streams: dict[StreamKey, int] = {(1, "ns", "known"): 5}
    asked = Streams()
    plan = plan_batch(
        [draft(None, "known"), draft(None, "new"), draft(None, "new")], {}, 1, streams, asked
    )
    assert asked.asked == [(1, "ns", "new")]
    assert streams == {(1, "ns", "known"): 5, (1, "ns", "new"): 101}
    assert [row[2] for row in plan.rows] == [5, 101, 101]


def test_rollups_and_stale_days_come_from_the_new_events_only() -> None:
    late = NOW - 2 * DAY + 5
    drafts = [draft("old", ts=late, value=2.0), draft("dup", value=9.0), draft(None, value=4.0)]
    plan = plan_batch(drafts, {(1, "dup"): 1}, 10, {}, Streams())
    assert plan.tiers == accumulate([(101, late, 2.0), (101, NOW, 4.0)])
    # Only the late event's day may have been sealed.
    assert plan.stale == [(101, late - late % DAY)]


def test_a_batch_of_repeats_writes_nothing() -> None:
    plan = plan_batch([draft("a")], {(1, "a"): 4}, 0, {}, Streams())
    assert (plan.rows, plan.tiers, plan.stale) == ([], [], [])
    assert [(r.id, r.duplicate) for r in plan.results] == [(4, True)]
