"""Side writes of insert_batch commit with the batch's events or not at all, on every engine."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from tests.storage.test_contract import T, draft, source
from tidings.model.records import EventFilter
from tidings.storage.base import Storage
from tidings.storage.schema import events, users


class AddUser:
    """A side write that adds a user and records how many events its transaction sees."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.events_seen: int | None = None

    def apply(self, conn: Connection) -> None:
        self.events_seen = conn.execute(select(func.count()).select_from(events)).scalar_one()
        conn.execute(
            insert(users).values(
                username=self.username, password_hash="x", role="viewer", created_at=0
            )
        )


class Fails(AddUser):
    """Writes, then raises: the whole batch must go."""

    def apply(self, conn: Connection) -> None:
        super().apply(conn)
        raise RuntimeError("side write failed")


def test_side_writes_commit_with_the_events_in_their_transaction(storage: Storage) -> None:
    src = source(storage)
    first, second = AddUser("ada"), AddUser("bob")
    results = storage.insert_batch(
        [draft(src, T, "a"), draft(src, T + 1, "b")], side_writes=[first, second]
    )
    assert [r.duplicate for r in results] == [False, False]
    # Each side write ran on the batch's own connection, after the events were written.
    assert first.events_seen == second.events_seen == 2
    assert storage.get_user("ada") is not None and storage.get_user("bob") is not None
    listed = storage.list_events(EventFilter(), 0, 10)
    assert [(e.id, e.message_id) for e in listed] == [
        (r.id, m) for r, m in zip(results, "ab", strict=True)
    ]


def test_a_failing_side_write_rolls_back_the_events_and_earlier_side_writes(
    storage: Storage,
) -> None:
    src = source(storage)
    kept = storage.insert_batch([draft(src, T, "kept")])
    with pytest.raises(RuntimeError, match="side write failed"):
        storage.insert_batch(
            [draft(src, T + 1, "lost", name="new-stream"), draft(src, T + 2)],
            side_writes=[AddUser("ada"), Fails("bob")],
        )
    assert storage.count_events() == 1
    assert storage.get_user("ada") is None and storage.get_user("bob") is None
    assert [e.message_id for e in storage.list_events(EventFilter(), 0, 10)] == ["kept"]
    assert [s.name for s in storage.streams(EventFilter())] == ["n"]
    # The rolled-back batch left nothing behind: sending it again stores it, its new stream
    # included, and readers see ids past every committed one.
    again = storage.insert_batch(
        [draft(src, T + 1, "lost", name="new-stream"), draft(src, T + 2)],
        side_writes=[AddUser("ada")],
    )
    assert [r.duplicate for r in again] == [False, False]
    assert min(r.id for r in again) > kept[0].id
    listed = storage.list_events(EventFilter(), kept[0].id, 10)
    assert [(e.id, e.name) for e in listed] == [(again[0].id, "new-stream"), (again[1].id, "n")]
    assert storage.get_user("ada") is not None
