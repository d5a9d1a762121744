"""Reads of the person records for the People pages: traits and linked ids of some persons,
and which persons' trait values or linked ids contain a search text.

Search scans the person tables (far smaller than events) in Python, so the match is the same
on SQLite and PostgreSQL: a case-insensitive substring of each trait value's text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Engine, select

from tidings.storage.schema import person_aliases, persons

_CHUNK = 500


def trait_texts(traits: dict[str, Any]) -> list[str]:
    """What search compares: a string trait as itself, any other value as its JSON text."""
    return [v if isinstance(v, str) else orjson.dumps(v).decode() for v in traits.values()]


def traits_of(engine: Engine, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The traits recorded for each of ``user_ids`` that has a person record."""
    wanted = sorted(set(user_ids))
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                select(persons.c.user_id, persons.c.traits).where(
                    persons.c.user_id.in_(wanted[start : start + _CHUNK])
                )
            )
            found.update((str(u), orjson.loads(t) if t else {}) for u, t in rows)
    return found


def linked_of(engine: Engine, user_ids: Iterable[str]) -> dict[str, list[str]]:
    """The anonymous and previous ids linked to each of ``user_ids``, sorted."""
    wanted = sorted(set(user_ids))
    found: dict[str, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                select(person_aliases.c.user_id, person_aliases.c.alias)
                .where(person_aliases.c.user_id.in_(wanted[start : start + _CHUNK]))
                .order_by(person_aliases.c.alias)
            )
            for user_id, alias in rows:
                found[str(user_id)].append(str(alias))
    return dict(found)


def matching_ids(engine: Engine, text: str) -> set[str]:
    """The user ids whose trait values, or whose linked ids, contain ``text`` (any case)."""
    needle = text.lower()
    found: set[str] = set()
    with engine.connect() as conn:
        for user_id, traits in conn.execute(select(persons.c.user_id, persons.c.traits)):
            if traits and any(needle in t.lower() for t in trait_texts(orjson.loads(traits))):
                found.add(str(user_id))
        for user_id, alias in conn.execute(
            select(person_aliases.c.user_id, person_aliases.c.alias)
        ):
            if needle in str(alias).lower():
                found.add(str(user_id))
    return found
