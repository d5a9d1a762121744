"""Client message ids de-duplicate within the window, on every engine, and expire after it."""

from __future__ import annotations

from tidings.core.dedup_window import expire
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.model.timeparse import now_us
from tidings.storage.base import Storage
from tidings.storage.dedup import DAY_US

NOW = now_us()


def sent(source_id: int, message_id: str, days_ago: int = 0) -> EventDraft:
    at = NOW - days_ago * DAY_US
    return EventDraft(source_id, "ns", "n", at, at, 1.0, None, None, message_id, None, None, None)


def remembered(storage: Storage) -> int:
    with storage.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM message_ids").scalar_one())


def source(storage: Storage, name: str) -> int:
    return storage.create_source(name, name * 8, None).id


def test_a_retry_within_the_window_is_a_duplicate(storage: Storage) -> None:
    storage.dedup_window_days = 3
    src = source(storage, "a")
    first = storage.insert_batch([sent(src, "m1", days_ago=3)])[0]
    again = storage.insert_batch([sent(src, "m1", days_ago=0)])[0]
    assert not first.duplicate
    assert again.duplicate and again.id == first.id
    assert storage.count_events() == 1


def test_a_retry_after_the_window_is_stored_again(storage: Storage) -> None:
    storage.dedup_window_days = 3
    src = source(storage, "a")
    first = storage.insert_batch([sent(src, "m1", days_ago=4)])[0]
    again = storage.insert_batch([sent(src, "m1", days_ago=0)])[0]
    assert not again.duplicate and again.id != first.id
    assert storage.count_events() == 2
    # The new copy opens a new window of its own.
    assert storage.insert_batch([sent(src, "m1")])[0].id == again.id


def test_ids_are_per_source_and_repeats_within_a_batch_are_stored_once(
    storage: Storage,
) -> None:
    a, b = source(storage, "a"), source(storage, "b")
    results = storage.insert_batch([sent(a, "m"), sent(b, "m"), sent(a, "m", days_ago=1)])
    assert [r.duplicate for r in results] == [False, False, True]
    assert results[2].id == results[0].id


def test_expiry_forgets_only_the_ids_received_before_the_window(storage: Storage) -> None:
    storage.dedup_window_days = 2
    src = source(storage, "a")
    kept = storage.insert_batch([sent(src, f"k{i}", days_ago=i % 3) for i in range(30)])
    storage.insert_batch([sent(src, f"old{i}", days_ago=3 + i % 4) for i in range(25)])
    assert remembered(storage) == 55
    # Small batches: several steps per day, several days.
    assert expire(storage, batch=4) == 25
    assert remembered(storage) == 30
    assert expire(storage) == 0
    # Within the window nothing changed; the expired events themselves are still stored.
    again = storage.insert_batch([sent(src, f"k{i}") for i in range(30)])
    assert [r.id for r in again] == [r.id for r in kept]
    assert all(r.duplicate for r in again)
    assert storage.count_events() == 55


def test_deleting_an_event_frees_its_id_and_retention_keeps_it(storage: Storage) -> None:
    src = source(storage, "a")
    storage.insert_batch([sent(src, "gone"), sent(src, "pruned", days_ago=2)])
    assert storage.delete_events(EventFilter(names=("n",), from_us=NOW, to_us=NOW + 1)) == 1
    assert not storage.insert_batch([sent(src, "gone")])[0].duplicate
    # Retention deletes old events but not their ids: an SDK's late retry is not stored anew.
    assert storage.prune_events(src, NOW - DAY_US, 100) == 1
    assert storage.insert_batch([sent(src, "pruned")])[0].duplicate
