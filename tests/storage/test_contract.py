"""The storage contract: every behaviour of the interface, on every engine (see conftest)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pytest

from tidings.errors import Conflict
from tidings.model.events import EventDraft
from tidings.model.ids import derived_message_id
from tidings.model.records import BucketStat, EventFilter, RollupTotal
from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.schema import TIERS

MINUTE = 60_000_000
DAY = 86_400_000_000
WHOLE = [(0, 10**17)]
T = 1_700_000_000_000_000


def draft(
    source_id: int,
    ts: int,
    message_id: str | None = None,
    *,
    value: float = 1.0,
    name: str = "n",
    namespace: str = "ns",
    user_id: str | None = None,
    anonymous_id: str | None = None,
    session_id: str | None = None,
    properties: str | None = None,
) -> EventDraft:
    return EventDraft(
        source_id,
        namespace,
        name,
        ts,
        ts,
        value,
        properties,
        None,
        message_id,
        user_id,
        anonymous_id,
        session_id,
    )


def source(storage: Storage, name: str = "src") -> int:
    return storage.create_source(name, name.ljust(64, "k"), None).id


def totals(storage: Storage, tier: int) -> dict[tuple[int, int], tuple[int, float, float, float]]:
    stream_ids = [s.id for s in storage.streams(EventFilter())]
    return {
        (r.stream_id, r.bucket): (r.count, r.sum, r.min, r.max)
        for r in storage.rollup_rows(tier, stream_ids, WHOLE)
    }


def brute_force(
    storage: Storage, tier: int
) -> dict[tuple[int, int], tuple[int, float, float, float]]:
    width = TIERS[tier][1]
    stream_ids = [s.id for s in storage.streams(EventFilter())]
    acc: dict[tuple[int, int], list[float]] = {}
    for row in storage.raw_rows(stream_ids, WHOLE):
        key = (row.stream_id, row.ts - row.ts % width)
        cur = acc.setdefault(key, [0, 0.0, row.value, row.value])
        cur[0] += 1
        cur[1] += row.value
        cur[2] = min(cur[2], row.value)
        cur[3] = max(cur[3], row.value)
    return {k: (int(v[0]), v[1], v[2], v[3]) for k, v in acc.items()}


def test_startup_twice_is_harmless(storage_url: str) -> None:
    for _ in range(2):
        engine = open_storage(storage_url)
        engine.startup()
        engine.ping()
        engine.shutdown()


def test_ids_increase_and_a_repeated_message_id_keeps_the_first(storage: Storage) -> None:
    src = source(storage)
    first = storage.insert_batch([draft(src, 1, "a"), draft(src, 2, "b"), draft(src, 3, "a")])
    assert [r.duplicate for r in first] == [False, False, True]
    assert first[2].id == first[0].id < first[1].id
    again = storage.insert_batch([draft(src, 4, "b"), draft(src, 5, "c")])
    assert again[0].id == first[1].id and again[0].duplicate
    assert again[1].id > first[1].id and not again[1].duplicate
    assert storage.count_events() == 3


def test_the_same_message_id_in_another_source_is_another_event(storage: Storage) -> None:
    one, two = source(storage, "one"), source(storage, "two")
    results = storage.insert_batch([draft(one, 1, "m"), draft(two, 1, "m")])
    assert not any(r.duplicate for r in results)
    assert storage.count_events() == 2


def test_two_processes_sending_the_same_message_ids_store_each_once(storage_url: str) -> None:
    engines = [open_storage(storage_url) for _ in range(2)]
    for engine in engines:
        engine.startup()
    src = source(engines[0])
    errors: list[BaseException] = []

    def send(engine: Storage) -> None:
        try:
            for start in range(0, 200, 20):
                engine.insert_batch([draft(src, i, f"m{i}") for i in range(start, start + 20)])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert engines[1].count_events() == 200
    ids = [e.id for e in engines[1].list_events(EventFilter(), 0, 1000)]
    assert ids == sorted(set(ids)) and len(ids) == 200
    for engine in engines:
        engine.shutdown()


def test_events_sent_without_a_message_id_read_back_with_derived_ones(storage: Storage) -> None:
    src = source(storage)
    results = storage.insert_batch([draft(src, T + i * MINUTE) for i in range(3)])
    listed = storage.list_events(EventFilter(), 0, 10)
    assert [e.message_id for e in listed] == [
        derived_message_id(r.id, T + i * MINUTE) for i, r in enumerate(results)
    ]


def test_sending_exported_derived_ids_again_repeats_those_events(storage: Storage) -> None:
    src = source(storage)
    first = storage.insert_batch([draft(src, T + i * MINUTE) for i in range(5)])
    exported = storage.list_events(EventFilter(), 0, 10)
    # Re-sent later (another received_at), one of them twice, beside two new events.
    again = storage.insert_batch(
        [
            *(draft(src, e.timestamp + DAY, e.message_id) for e in exported),
            draft(src, T, exported[0].message_id),
            draft(src, T + DAY),
            draft(src, T + DAY, "client-id"),
        ]
    )
    assert [(r.id, r.duplicate) for r in again[:6]] == [
        *((r.id, True) for r in first),
        (first[0].id, True),
    ]
    assert not again[6].duplicate and not again[7].duplicate
    assert storage.count_events() == 7
    assert storage.list_events(EventFilter(), 0, 5) == exported


def test_a_derived_id_repeats_only_that_event_in_its_own_source(storage: Storage) -> None:
    one, two = source(storage, "one"), source(storage, "two")
    (stored,) = storage.insert_batch([draft(one, T)])
    (named,) = storage.insert_batch([draft(one, T, "client-id")])
    other_source = derived_message_id(stored.id, T)
    other_time = derived_message_id(stored.id, T + 1000)
    of_named = derived_message_id(named.id, T)  # that event is known by its client id
    sent = [draft(two, T, other_source), draft(one, T, other_time), draft(one, T, of_named)]
    results = storage.insert_batch(sent)
    assert not any(r.duplicate for r in results)
    # Stored as client ids now: sending them once more repeats the new events.
    assert storage.insert_batch(sent) == [type(r)(r.id, True) for r in results]
    assert storage.count_events() == 5


def test_every_rollup_tier_equals_a_scan_of_the_raw_rows(storage: Storage) -> None:
    src = source(storage)
    values = [(i * 7 * MINUTE + 13, float(i % 5 - 2)) for i in range(500)]
    storage.insert_batch([draft(src, ts, value=v) for ts, v in values[:250]])
    storage.insert_batch([draft(src, ts, value=v) for ts, v in values[250:]])
    for tier in range(len(TIERS)):
        assert totals(storage, tier) == brute_force(storage, tier)
        assert sum(c for c, *_ in totals(storage, tier).values()) == 500


def test_list_events_filters_and_pages(storage: Storage) -> None:
    src = source(storage)
    storage.insert_batch(
        [
            draft(src, 10, "a", name="click", user_id="u1", properties='{"plan":"pro","n":3}'),
            draft(src, 20, "b", name="view", session_id="s1", properties='{"beta":true}'),
            draft(src, 30, "c", name="click", namespace="other"),
        ]
    )

    def ids(flt: EventFilter) -> list[str]:
        return [e.message_id for e in storage.list_events(flt, 0, 100)]

    assert ids(EventFilter()) == ["a", "b", "c"]
    assert ids(EventFilter(names=("click",))) == ["a", "c"]
    assert ids(EventFilter(namespace="ns", names=("click",))) == ["a"]
    assert ids(EventFilter(source="src")) == ["a", "b", "c"]
    assert ids(EventFilter(source="nope")) == []
    assert ids(EventFilter(user_id="u1")) == ["a"]
    assert ids(EventFilter(session_id="s1")) == ["b"]
    assert ids(EventFilter(from_us=20)) == ["b", "c"]
    assert ids(EventFilter(to_us=20)) == ["a"]
    assert ids(EventFilter(props=(("plan", "pro"),))) == ["a"]
    assert ids(EventFilter(props=(("n", "3"),))) == ["a"]
    assert ids(EventFilter(props=(("beta", "true"),))) == ["b"]
    first = storage.list_events(EventFilter(), 0, 2)
    assert [e.message_id for e in first] == ["a", "b"]
    assert [e.message_id for e in storage.list_events(EventFilter(), first[-1].id, 2)] == ["c"]
    event = first[0]
    assert (event.source, event.namespace, event.name, event.timestamp) == (
        "src",
        "ns",
        "click",
        10,
    )


def test_raw_rows_honour_the_user_filter(storage: Storage) -> None:
    src = source(storage)
    storage.insert_batch([draft(src, 5, "a", user_id="u1"), draft(src, 6, "b", user_id="u2")])
    stream_ids = [s.id for s in storage.streams(EventFilter())]
    rows = list(storage.raw_rows(stream_ids, WHOLE, EventFilter(user_id="u2")))
    assert [(r.ts, r.user_id) for r in rows] == [(6, "u2")]


def test_users_and_sources(storage: Storage) -> None:
    storage.create_user("ann", "hash", "admin")
    with pytest.raises(Conflict):
        storage.create_user("ann", "hash", "viewer")
    assert storage.set_password("ann", "hash2")
    assert storage.get_user("ann") is not None and storage.get_user("ann").password_hash == "hash2"  # type: ignore[union-attr]
    assert [u.username for u in storage.list_users()] == ["ann"] and storage.count_users() == 1
    assert storage.delete_user("ann") and not storage.delete_user("ann")
    created = storage.create_source("web", "h" * 64, 30)
    with pytest.raises(Conflict):
        storage.create_source("web", "g" * 64, None)
    found = storage.source_by_key_hash("h" * 64)
    assert found is not None and found.id == created.id and found.retention_days == 30
    assert storage.delete_source("web")
    assert storage.source_by_key_hash("h" * 64) is None
    assert storage.create_source("web", "g" * 64, None).id != created.id


def test_prune_deletes_whole_old_days_with_their_rollups(storage: Storage) -> None:
    src, other = source(storage, "src"), source(storage, "other")
    old = [draft(src, d * DAY + m * MINUTE, value=float(m)) for d in range(3) for m in range(5)]
    storage.insert_batch([*old, draft(other, 0, "keep-other")])
    cutoff = 2 * DAY + 7 * MINUTE  # rounded down to the start of day 2
    deleted = []
    while (n := storage.prune_events(src, cutoff, 4)) > 0:
        deleted.append(n)
    assert sum(deleted) == 10 and max(deleted) == 4
    remaining = storage.list_events(EventFilter(source="src"), 0, 100)
    assert sorted(e.timestamp for e in remaining) == [2 * DAY + m * MINUTE for m in range(5)]
    assert storage.list_events(EventFilter(source="other"), 0, 10)[0].message_id == "keep-other"
    for tier in range(len(TIERS)):
        assert totals(storage, tier) == brute_force(storage, tier)


def test_ids_are_never_handed_out_again_after_deletes(storage: Storage) -> None:
    src = source(storage)
    results = storage.insert_batch(
        [draft(src, 1, "a", user_id="u"), draft(src, 2, "b", user_id="u")]
    )
    storage.erase_person(user_id="u")
    newer = storage.insert_batch([draft(src, 3, "c")])
    assert newer[0].id > results[-1].id
    storage.prune_events(src, 2 * DAY, 100)
    assert storage.count_events() == 0
    newest = storage.insert_batch([draft(src, 4, "d")])
    assert newest[0].id > newer[0].id


def test_erasure_removes_a_persons_events_and_fixes_rollups(storage: Storage) -> None:
    src, other = source(storage, "src"), source(storage, "other")
    storage.insert_batch(
        [
            draft(src, 10, "a", value=100.0, user_id="gone"),
            draft(src, 20, "b", value=1.0, user_id="stays"),
            draft(src, 2 * MINUTE, "c", value=5.0, user_id="gone"),
            draft(other, 30, "d", value=-7.0, anonymous_id="anon-gone"),
            draft(other, 40, "e", value=3.0),
        ]
    )
    assert storage.erase_person(user_id="gone") == 2
    assert storage.erase_person(anonymous_id="anon-gone") == 1
    assert storage.erase_person(user_id="nobody") == 0
    left = storage.list_events(EventFilter(), 0, 100)
    assert sorted(e.message_id for e in left) == ["b", "e"]
    for tier in range(len(TIERS)):
        assert totals(storage, tier) == brute_force(storage, tier)
    # The erased message id is free again: sending it now stores a new event.
    assert not storage.insert_batch([draft(src, 10, "a", user_id="gone")])[0].duplicate


def test_rollup_totals_in_sql_equal_the_portable_default(storage: Storage) -> None:
    src = source(storage)
    values = [(i * 7 * MINUTE + 13, float(i % 5 - 2)) for i in range(500)]
    storage.insert_batch([draft(src, ts, value=v) for ts, v in values])
    stream_ids = [s.id for s in storage.streams(EventFilter())]
    pieces = [(0, 0, 60 * MINUTE), (1, 60 * MINUTE, 600 * MINUTE), (0, 900 * MINUTE, 1200 * MINUTE)]

    def key(total: RollupTotal) -> tuple[int, int]:
        return (total.key, total.stream_id)

    fast = sorted(storage.rollup_totals(0, stream_ids, pieces), key=key)
    portable = sorted(Storage.rollup_totals(storage, 0, stream_ids, pieces), key=key)
    assert fast == portable
    assert [t.key for t in fast] == [0, 1]
    assert list(storage.rollup_totals(0, stream_ids, [])) == []


def test_deleting_by_filter_keeps_every_rollup_tier_exact(storage: Storage) -> None:
    src, other = source(storage, "src"), source(storage, "other")
    rows = [
        draft(s, d * DAY + m * 7 * MINUTE + 5, value=float(m % 9), name=n, session_id=f"s{m % 3}")
        for s in (src, other)
        for n in ("a", "b")
        for d in range(4)
        for m in range(40)
    ]
    storage.insert_batch(rows)
    # A range with ragged edges in every tier, one name of one source.
    flt = EventFilter(source="src", names=("a",), from_us=DAY + 13 * MINUTE, to_us=3 * DAY + 5)
    expected = [e for e in storage.list_events(EventFilter(), 0, 10_000)]
    gone = [
        e
        for e in expected
        if e.source == "src" and e.name == "a" and DAY + 13 * MINUTE <= e.timestamp < 3 * DAY + 5
    ]
    assert storage.delete_events(flt) == len(gone) > 0
    for tier in range(len(TIERS)):
        assert totals(storage, tier) == brute_force(storage, tier)
    assert storage.delete_events(EventFilter(session_id="s1")) > 0
    for tier in range(len(TIERS)):
        assert totals(storage, tier) == brute_force(storage, tier)
    assert all(e.session_id != "s1" for e in storage.list_events(EventFilter(), 0, 10_000))
    assert storage.delete_events(EventFilter(source="nope")) == 0
    with pytest.raises(ValueError):
        storage.delete_events(EventFilter())


def test_deleting_by_property_matches_the_list_filter_and_fixes_rollups(
    storage: Storage,
) -> None:
    src, other = source(storage, "src"), source(storage, "other")
    plans = ['{"plan": "pro"}', '{"plan": "free"}', '{"paid": true}', '{"n": 5}', None]
    storage.insert_batch(
        [
            draft(s, m * 13 * MINUTE + 7, value=float(m % 7 - 3), properties=plans[m % 5])
            for s in (src, other)
            for m in range(120)
        ]
    )
    cases = [
        EventFilter(source="src", props=(("plan", "pro"),)),
        EventFilter(props=(("paid", "true"),)),
        EventFilter(props=(("n", "5"),), from_us=40 * 13 * MINUTE),
        EventFilter(source="other", props=(("plan", "free"),), to_us=3 * 60 * MINUTE + 1),
    ]
    for flt in cases:
        gone = {e.id for e in storage.list_events(flt, 0, 10_000)}
        assert gone
        assert storage.delete_events(flt) == len(gone)
        left = {e.id for e in storage.list_events(EventFilter(), 0, 10_000)}
        assert not gone & left
        assert storage.list_events(flt, 0, 10) == []
        for tier in range(len(TIERS)):
            assert totals(storage, tier) == brute_force(storage, tier)
    # Events of other plans and without properties stay.
    assert storage.list_events(EventFilter(source="src", props=(("plan", "free"),)), 0, 10)
    assert storage.delete_events(EventFilter(props=(("plan", "nobody"),))) == 0


def test_raw_functions_in_sql_equal_the_portable_default(storage: Storage) -> None:
    src = source(storage)
    drafts = [
        draft(
            src,
            i * 5 * MINUTE + 7,
            value=float((i * 37) % 11) / 4,
            user_id=(None, "", "u1", "u2", "u3")[i % 5],
            anonymous_id=(None, "a1", "u1")[i % 3],
            properties='{"plan": "pro"}' if i % 4 else None,
        )
        for i in range(400)
    ]
    storage.insert_batch(drafts)
    stream_ids = [s.id for s in storage.streams(EventFilter())]
    pieces = [(0, 0, 60 * MINUTE), (1, 60 * MINUTE, 300 * MINUTE), (0, 900 * MINUTE, 1500 * MINUTE)]
    pieces += [(2, 1501 * MINUTE, 1502 * MINUTE), (3, 1505 * MINUTE, 1520 * MINUTE)]

    def by_key(stats: Iterable[BucketStat]) -> list[BucketStat]:
        return sorted(stats, key=lambda stat: stat.key)

    for flt in (None, EventFilter(props=(("plan", "pro"),)), EventFilter(user_id="u2")):
        fast = by_key(storage.distinct_persons(stream_ids, pieces, flt))
        assert fast == by_key(Storage.distinct_persons(storage, stream_ids, pieces, flt))
        assert fast and 2 not in [stat.key for stat in fast]  # a piece without events
        for q in (0.0, 0.5, 0.95, 1.0):
            fast = by_key(storage.value_percentile(q, stream_ids, pieces, flt))
            portable = by_key(Storage.value_percentile(storage, q, stream_ids, pieces, flt))
            assert [(s.key, s.count) for s in fast] == [(s.key, s.count) for s in portable]
            assert [s.value for s in fast] == pytest.approx([s.value for s in portable])
    assert list(storage.distinct_persons(stream_ids, [])) == []
    assert list(storage.value_percentile(0.5, [], pieces)) == []
