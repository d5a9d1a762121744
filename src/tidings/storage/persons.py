"""People seen through Segment-style identify, group and alias calls.

Persons are keyed by user id across the whole installation (Segment's identity is
workspace-wide, and Tidings is one workspace): ``persons`` keeps merged traits, ``person_aliases``
links anonymous and previous ids to a user id, ``person_groups`` keeps group traits and
``group_members`` who belongs to which group. Cold paths, so portable SQLAlchemy Core; the
read-merge-write of traits runs in one transaction and locks the row on PostgreSQL
(``FOR UPDATE``; SQLite serialises writers anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tidings.model.timeparse import now_us
from tidings.storage.schema import group_members, person_aliases, person_groups, persons


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    traits: dict[str, Any]
    first_seen: int
    last_seen: int


def _merged(old: str | None, new: dict[str, Any]) -> str | None:
    """Shallow merge: later traits replace earlier ones key by key, absent keys stay."""
    current: dict[str, Any] = orjson.loads(old) if old else {}
    current.update(new)
    return orjson.dumps(current).decode() if current else None


def _upsert_traits(
    conn: Connection, table: Table, key: str, value: str, traits: dict[str, Any], now: int
) -> None:
    """Insert or merge ``traits`` into the row ``table.key == value``.

    Two writers may race to insert the same new row; the loser's insert fails on the
    primary key and it merges into the winner's row instead.
    """
    column = table.c[key]
    stamp = "last_seen" if table is persons else "updated_at"
    for _ in range(2):
        row = conn.execute(select(table.c.traits).where(column == value).with_for_update()).first()
        if row is not None:
            conn.execute(
                update(table)
                .where(column == value)
                .values({"traits": _merged(row[0], traits), stamp: now})
            )
            return
        values: dict[str, Any] = {key: value, "traits": _merged(None, traits), stamp: now}
        if table is persons:
            values["first_seen"] = now
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(values))
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not upsert {table.name} {value!r}")


def _link(conn: Connection, alias: str, user_id: str, now: int) -> None:
    if alias == user_id:
        return
    updated = conn.execute(
        update(person_aliases)
        .where(person_aliases.c.alias == alias)
        .values(user_id=user_id, linked_at=now)
    )
    if updated.rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(person_aliases).values(alias=alias, user_id=user_id, linked_at=now))
    except IntegrityError:
        conn.execute(
            update(person_aliases)
            .where(person_aliases.c.alias == alias)
            .values(user_id=user_id, linked_at=now)
        )


def identify(
    engine: Engine, user_id: str | None, anonymous_id: str | None, traits: dict[str, Any]
) -> None:
    """:func:`identify_in` in a transaction of its own."""
    with engine.begin() as conn:
        identify_in(conn, user_id, anonymous_id, traits)


def identify_in(
    conn: Connection, user_id: str | None, anonymous_id: str | None, traits: dict[str, Any]
) -> None:
    """Record an identify call: merge traits into the person, link the anonymous id.

    A call with only an anonymous id keeps its traits on the person that id is linked to, or
    on a person named by the anonymous id until an identify or alias links it.
    """
    now = now_us()
    if user_id is None and anonymous_id is not None:
        user_id = _resolve_one(conn, anonymous_id) or anonymous_id
    if user_id is None:
        return
    _upsert_traits(conn, persons, "user_id", user_id, traits, now)
    if anonymous_id is not None:
        _link(conn, anonymous_id, user_id, now)


def alias(engine: Engine, previous_id: str, user_id: str) -> None:
    """:func:`alias_in` in a transaction of its own."""
    with engine.begin() as conn:
        alias_in(conn, previous_id, user_id)


def alias_in(conn: Connection, previous_id: str, user_id: str) -> None:
    """Link ``previous_id`` to ``user_id``; the person gets any traits known under the old id."""
    now = now_us()
    old = conn.execute(select(persons.c.traits).where(persons.c.user_id == previous_id)).first()
    traits: dict[str, Any] = orjson.loads(old[0]) if old and old[0] else {}
    _upsert_traits(conn, persons, "user_id", user_id, traits, now)
    _link(conn, previous_id, user_id, now)
    # Ids that pointed at the previous id now point at the new person too.
    conn.execute(
        update(person_aliases)
        .where(person_aliases.c.user_id == previous_id)
        .values(user_id=user_id, linked_at=now)
    )


def group(engine: Engine, group_id: str, member_id: str | None, traits: dict[str, Any]) -> None:
    """:func:`group_in` in a transaction of its own."""
    with engine.begin() as conn:
        group_in(conn, group_id, member_id, traits)


def group_in(
    conn: Connection, group_id: str, member_id: str | None, traits: dict[str, Any]
) -> None:
    """Merge the group's traits and make ``member_id`` (a user or anonymous id) a member."""
    now = now_us()
    _upsert_traits(conn, person_groups, "group_id", group_id, traits, now)
    if member_id is None:
        return
    exists = conn.execute(
        select(group_members.c.group_id).where(
            group_members.c.group_id == group_id, group_members.c.member_id == member_id
        )
    ).first()
    if exists is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(group_members).values(
                        group_id=group_id, member_id=member_id, joined_at=now
                    )
                )
        except IntegrityError:
            pass  # joined concurrently; membership is all that matters


def _resolve_one(conn: Connection, alias_id: str) -> str | None:
    row = conn.execute(
        select(person_aliases.c.user_id).where(person_aliases.c.alias == alias_id)
    ).first()
    return str(row[0]) if row else None


def resolve_aliases(engine: Engine, ids: Iterable[str]) -> dict[str, str]:
    """The user id each of ``ids`` is linked to (ids without a link are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = conn.execute(
                select(person_aliases.c.alias, person_aliases.c.user_id).where(
                    person_aliases.c.alias.in_(chunk)
                )
            ).all()
            found.update((str(a), str(u)) for a, u in rows)
    return found


def get_person(engine: Engine, user_id: str) -> Person | None:
    with engine.connect() as conn:
        row = conn.execute(select(persons).where(persons.c.user_id == user_id)).first()
    if row is None:
        return None
    return Person(
        str(row.user_id),
        orjson.loads(row.traits) if row.traits else {},
        int(row.first_seen),
        int(row.last_seen),
    )


def group_traits(engine: Engine, group_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(person_groups.c.traits).where(person_groups.c.group_id == group_id)
        ).first()
    if row is None:
        return None
    return orjson.loads(row[0]) if row[0] else {}


def group_member_ids(engine: Engine, group_id: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(group_members.c.member_id)
            .where(group_members.c.group_id == group_id)
            .order_by(group_members.c.member_id)
        ).all()
    return [str(r[0]) for r in rows]


def linked_ids(conn: Connection, user_id: str) -> list[str]:
    """The anonymous and previous ids linked to ``user_id`` (by identify or alias), sorted."""
    rows = conn.execute(
        select(person_aliases.c.alias)
        .where(person_aliases.c.user_id == user_id)
        .order_by(person_aliases.c.alias)
    )
    return [str(row[0]) for row in rows]


def records_of(conn: Connection, user_id: str) -> int:
    """The rows :func:`forget_in` would remove, counted (``erase --dry-run``)."""
    members = [user_id, *linked_ids(conn, user_id)]
    counted = 0
    for table, where in (
        (persons, persons.c.user_id == user_id),
        (person_aliases, person_aliases.c.user_id == user_id),
        (group_members, group_members.c.member_id.in_(members)),
    ):
        counted += int(
            conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
        )
    return counted


def forget(engine: Engine, user_id: str) -> int:
    """:func:`forget_in` in a transaction of its own."""
    with engine.begin() as conn:
        return forget_in(conn, user_id)


def forget_in(conn: Connection, user_id: str) -> int:
    """Erase a person (GDPR): traits, the ids linked to them and their group memberships.

    Returns the number of rows removed. Events are erased with the person by
    ``Storage.erase_linked``, in the same transaction.
    """
    members = [user_id, *linked_ids(conn, user_id)]
    removed = conn.execute(persons.delete().where(persons.c.user_id == user_id)).rowcount
    removed += conn.execute(
        person_aliases.delete().where(person_aliases.c.user_id == user_id)
    ).rowcount
    removed += conn.execute(
        group_members.delete().where(group_members.c.member_id.in_(members))
    ).rowcount
    return int(removed)
