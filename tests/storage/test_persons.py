from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine

from tidings.core.ingest import Batch, commit
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import persons
from tidings.storage.base import Storage
from tidings.storage.named_sources import source_named
from tidings.storage.schema import metadata
from tidings.storage.sqlite import SQLiteStorage


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'p.db'}")
    storage.startup()
    yield storage.engine
    storage.shutdown()


def test_migration_creates_the_person_tables_as_declared(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    person_tables = {"persons", "person_aliases", "person_groups", "group_members"}
    assert [d for d in diff if any(t in repr(d) for t in person_tables)] == []


def test_identify_merges_traits_key_by_key(engine: Engine) -> None:
    persons.identify(engine, "u1", None, {"plan": "free", "name": "Ann"})
    persons.identify(engine, "u1", None, {"plan": "pro"})
    person = persons.get_person(engine, "u1")
    assert person is not None
    assert person.traits == {"plan": "pro", "name": "Ann"}
    assert person.first_seen <= person.last_seen


def test_anonymous_identify_keeps_traits_until_linked(engine: Engine) -> None:
    persons.identify(engine, None, "anon", {"color": "red"})
    persons.alias(engine, "anon", "u2")
    person = persons.get_person(engine, "u2")
    assert person is not None
    assert person.traits == {"color": "red"}
    assert persons.resolve_aliases(engine, ["anon", "nobody"]) == {"anon": "u2"}
    # A later anonymous identify lands on the linked person.
    persons.identify(engine, None, "anon", {"size": "L"})
    assert persons.get_person(engine, "u2").traits == {"color": "red", "size": "L"}  # type: ignore[union-attr]


def test_alias_moves_links_of_the_previous_id(engine: Engine) -> None:
    persons.identify(engine, "old", "device-1", {})
    persons.alias(engine, "old", "new")
    assert persons.resolve_aliases(engine, ["device-1", "old"]) == {"device-1": "new", "old": "new"}


def test_group_merges_traits_and_members_once(engine: Engine) -> None:
    persons.group(engine, "g", "u1", {"name": "Acme"})
    persons.group(engine, "g", "u1", {"plan": "team"})
    persons.group(engine, "g", "u2", {})
    assert persons.group_traits(engine, "g") == {"name": "Acme", "plan": "team"}
    assert persons.group_member_ids(engine, "g") == ["u1", "u2"]
    assert persons.group_traits(engine, "missing") is None


def test_source_named_is_created_once_without_a_key(engine: Engine) -> None:
    first = source_named(engine, "edx")
    again = source_named(engine, "edx")
    assert first.id == again.id
    assert first.key_hash is None


def test_forget_erases_the_person_links_and_memberships(engine: Engine) -> None:
    persons.identify(engine, "u1", "anon-1", {"email": "a@example.org"})
    persons.group(engine, "g", "u1", {})
    persons.group(engine, "g", "anon-1", {})
    persons.group(engine, "g", "u2", {})
    assert persons.forget(engine, "u1") == 4
    assert persons.get_person(engine, "u1") is None
    assert persons.resolve_aliases(engine, ["anon-1"]) == {}
    assert persons.group_member_ids(engine, "g") == ["u2"]


class _PersonWrites:
    """Segment's identify, group and alias as one side write, then optionally a failure."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def apply(self, conn: Connection) -> None:
        persons.identify_in(conn, "u5", "device-5", {"plan": "pro"})
        persons.group_in(conn, "g5", "u5", {"name": "Acme"})
        persons.alias_in(conn, "old-5", "u5")
        if self.fail:
            raise ValueError("the batch fails after its person writes")


def _draft(message_id: str) -> EventDraft:
    return EventDraft(1, "p", "identify", 1, 1, 1.0, None, None, message_id, "u5", None, None)


def test_person_writes_commit_in_the_events_transaction_on_both_engines(
    storage: Storage,
) -> None:
    with pytest.raises(ValueError):
        commit(storage, [Batch([_draft("m1")], [_PersonWrites(fail=True)])])
    assert storage.count_events() == 0
    assert persons.get_person(storage.engine, "u5") is None
    assert persons.group_member_ids(storage.engine, "g5") == []
    # Applied twice (a retried batch repeats its side writes): the same state as once.
    for _ in range(2):
        commit(storage, [Batch([_draft("m1")], [_PersonWrites()])])
    assert storage.count_events() == 1
    person = persons.get_person(storage.engine, "u5")
    assert person is not None and person.traits == {"plan": "pro"}
    assert persons.group_member_ids(storage.engine, "g5") == ["u5"]
    assert persons.resolve_aliases(storage.engine, ["device-5", "old-5"]) == {
        "device-5": "u5",
        "old-5": "u5",
    }


def _events(storage: Storage) -> list[tuple[str | None, str | None]]:
    return [(e.user_id, e.anonymous_id) for e in storage.list_events(EventFilter(), 0, 100)]


def test_erasing_a_user_erases_every_linked_id_in_one_transaction_on_both_engines(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = source_named(storage.engine, "src").id
    persons.identify(storage.engine, "u6", "device-6", {"email": "u6@example.org"})
    persons.alias(storage.engine, "old-6", "u6")
    persons.identify(storage.engine, "u7", None, {})

    def event(n: int, user_id: str | None, anonymous_id: str | None) -> EventDraft:
        return EventDraft(
            src, "p", "e", n, n, 1.0, None, None, f"m{n}", user_id, anonymous_id, None
        )

    storage.insert_batch(
        [
            event(1, None, "device-6"),  # before the identify: no user id
            event(2, "u6", "device-6"),
            event(3, "old-6", None),  # under the user id the alias replaced
            event(4, None, "old-6"),
            event(5, "u7", "device-6"),  # another user on the shared device: theirs
            event(6, "u7", None),
        ]
    )

    # A failure after the events are gone rolls the events back too: one transaction.
    def broken(*args: object) -> int:
        raise RuntimeError("person tables unreachable")

    monkeypatch.setattr(persons, "forget_in", broken)
    with pytest.raises(RuntimeError):
        storage.erase_linked(user_id="u6")
    assert storage.count_events() == 6
    monkeypatch.undo()

    counts, records = storage.erase_linked(user_id="u6")
    assert counts == {"u6": 1, "device-6": 1, "old-6": 2}
    assert records == 3  # the person and the two links
    assert _events(storage) == [("u7", "device-6"), ("u7", None)]
    assert persons.get_person(storage.engine, "u6") is None
    assert persons.resolve_aliases(storage.engine, ["device-6", "old-6"]) == {}
    assert storage.erase_linked(user_id="u6") == ({"u6": 0}, 0)
    assert storage.erase_linked(anonymous_id="device-6") == ({"device-6": 1}, 0)
