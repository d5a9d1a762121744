"""People: who the events belong to, with their traits, ids and activity.

A person is the ``person`` column of the ``events`` relation: a user id (events of the user
and of the anonymous ids linked to it), or ``anon:<anonymous_id>`` for someone never
identified. The person records kept by identify and alias add traits and linked ids; an
unidentified person's traits are the ones identify kept under its anonymous id. Figures
(``first_seen``, ``last_seen``, ``events``) count the events matching the list filters, and a
list keeps only persons with at least one (api.md section 8).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from tidings.core.event_sql import PERSON_PREFIX, EventSQL
from tidings.errors import Invalid
from tidings.model.records import EventFilter
from tidings.model.timeparse import to_iso
from tidings.storage import person_reads
from tidings.storage.base import Storage

DEFAULT_LIMIT, MAX_LIMIT = 50, 1000

_SUMMARY = (
    "SELECT person, min(ts), max(ts), count(*), "
    "list(DISTINCT anonymous_id) FILTER (WHERE anonymous_id IS NOT NULL) "
    "FROM events WHERE person IS NOT NULL"
)


@dataclass(frozen=True, slots=True)
class PersonsQuery:
    search: str = ""
    limit: int = DEFAULT_LIMIT
    #: The cursor of the previous page (``next``), or None for the first page.
    after: str | None = None


def user_of(person: str) -> str | None:
    """The user id of a person key, or None for an unidentified one."""
    return None if person.startswith(PERSON_PREFIX) else person


def record_key(person: str) -> str:
    """Where identify kept the person's traits: the user id, or the bare anonymous id."""
    return person[len(PERSON_PREFIX) :] if person.startswith(PERSON_PREFIX) else person


def encode_cursor(last_seen: int, person: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([last_seen, person])).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[int, str]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise Invalid.field("after", "is not a cursor from a previous page's next") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not 0 <= value[0] < 2**63
        or not isinstance(value[1], str)
    ):
        raise Invalid.field("after", "is not a cursor from a previous page's next")
    return value[0], value[1]


def _answer(
    row: tuple[Any, ...], records: dict[str, dict[str, Any]], linked: dict[str, list[str]]
) -> dict[str, Any]:
    person, first, last, count, anonymous = row
    ids = set(anonymous or ())
    user = user_of(person)
    if user is not None:
        ids.update(linked.get(user, ()))
    return {
        "person": person,
        "user_id": user,
        "anonymous_ids": sorted(ids),
        "traits": records.get(record_key(person), {}),
        "first_seen": to_iso(int(first)) if first is not None else None,
        "last_seen": to_iso(int(last)) if last is not None else None,
        "events": int(count),
    }


def _describe(storage: Storage, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Answers for summary rows, with traits and linked ids from the person records."""
    persons = [str(r[0]) for r in rows]
    records = person_reads.traits_of(storage.engine, (record_key(p) for p in persons))
    users = [u for u in map(user_of, persons) if u is not None]
    linked = person_reads.linked_of(storage.engine, users)
    return [_answer(row, records, linked) for row in rows]


async def list_persons(
    sql: EventSQL, storage: Storage, flt: EventFilter, query: PersonsQuery
) -> dict[str, Any]:
    """``{"persons": [...], "next": cursor | null}``, most recently seen first."""
    having: list[str] = []
    params: list[object] = []
    if query.search:
        # Trait values and linked ids live in the person records, not in events: the persons
        # they match are found there and passed in as a list of person keys.
        matched = person_reads.matching_ids(storage.engine, query.search)
        keys = sorted(matched | {PERSON_PREFIX + m for m in matched})
        having.append(
            "((NOT starts_with(person, ?) AND contains(lower(person), lower(?))) "
            "OR bool_or(contains(lower(anonymous_id), lower(?))) "
            "OR list_contains(?::VARCHAR[], person))"
        )
        params += [PERSON_PREFIX, query.search, query.search, keys]
    if query.after is not None:
        last, person = decode_cursor(query.after)
        having.append("(max(ts) < ? OR (max(ts) = ? AND person > ?))")
        params += [last, last, person]
    statement = _SUMMARY + " GROUP BY person"
    if having:
        statement += " HAVING " + " AND ".join(having)
    statement += " ORDER BY max(ts) DESC, person LIMIT ?"
    params.append(query.limit + 1)
    rows = await sql.fetch(flt, statement, params)
    page = rows[: query.limit]
    described = _describe(storage, page)
    more = len(rows) > query.limit
    return {
        "persons": described,
        "next": encode_cursor(int(page[-1][2]), str(page[-1][0])) if more else None,
    }


async def get_person(
    sql: EventSQL, storage: Storage, flt: EventFilter, person: str
) -> dict[str, Any] | None:
    """One person, or None when it has neither a matching event nor a person record."""
    rows = await sql.fetch(flt, _SUMMARY + " AND person = ? GROUP BY person", [person])
    if rows:
        return _describe(storage, rows)[0]
    record = record_key(person)
    records = person_reads.traits_of(storage.engine, [record])
    if record not in records:
        return None
    linked = [] if record == person else [record]
    return _describe(storage, [(person, None, None, 0, linked)])[0]


async def latest_events(
    sql: EventSQL, flt: EventFilter, person: str, limit: int = 20
) -> list[dict[str, Any]]:
    """The person's newest events matching ``flt``, newest first."""
    rows = await sql.fetch(
        flt,
        "SELECT id, source, namespace, name, ts, value, properties, session_id FROM events "
        "WHERE person = ? ORDER BY ts DESC, id DESC LIMIT ?",
        [person, limit],
    )
    return [
        {
            "id": int(i),
            "source": source,
            "namespace": namespace,
            "name": name,
            "timestamp": to_iso(int(ts)),
            "value": value,
            "properties": orjson.loads(props) if props else {},
            "session_id": session,
        }
        for i, source, namespace, name, ts, value, props, session in rows
    ]
