"""What the analytics tier reads of the system of record besides events: the alias links
it copies, and per-block event counts to check its copy against after a crash."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from tidings.model.records import EventFilter
from tidings.storage.base import Storage
from tidings.storage.schema import events, person_aliases

#: The columns the tier copies, in the order :func:`rows_after` gives them.
FEED_COLUMNS = (
    "id", "source", "namespace", "name", "ts", "received_at", "value", "user_id",
    "anonymous_id", "session_id", "properties",
)  # fmt: skip


def rows_after(storage: Storage, after: int, limit: int) -> dict[str, list[object]]:
    """Up to ``limit`` events with ids above ``after``, in id order, as columns named by
    :data:`FEED_COLUMNS`: the feed's read, without building a record per event."""
    query = (
        select(
            events.c.id,
            events.c.stream_id,
            events.c.ts,
            events.c.received_at,
            events.c.value,
            events.c.user_id,
            events.c.anonymous_id,
            events.c.session_id,
            events.c.properties,
        )
        .where(events.c.id > after)
        .order_by(events.c.id)
        .limit(limit)
    )
    with storage.engine.connect() as conn:
        rows = conn.execute(query).all()
    streams = {s.id: s for s in storage.streams(EventFilter())}
    if any(r[1] not in streams for r in rows):  # a stream created since: read them again
        streams = {s.id: s for s in storage.streams(EventFilter())}
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    ids, stream_ids, ts, received, value, user, anonymous, session, properties = columns
    of = [streams[i] for i in stream_ids]
    return {
        "id": list(ids),
        "source": [s.source for s in of],
        "namespace": [s.namespace for s in of],
        "name": [s.name for s in of],
        "ts": list(ts),
        "received_at": list(received),
        "value": list(value),
        "user_id": list(user),
        "anonymous_id": list(anonymous),
        "session_id": list(session),
        "properties": list(properties),
    }


def alias_state(engine: Engine) -> tuple[int, int]:
    """(links, newest link time): changes whenever a link is added, moved or forgotten."""
    with engine.connect() as conn:
        row = conn.execute(
            select(func.count(), func.coalesce(func.max(person_aliases.c.linked_at), 0))
        ).one()
    return int(row[0]), int(row[1])


def all_aliases(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(person_aliases.c.alias, person_aliases.c.user_id)).all()
    return [(str(a), str(u)) for a, u in rows]


def count_upto(engine: Engine, hwm: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(events.c.id <= hwm)).scalar_one())


def block_counts(engine: Engine, hwm: int, width: int) -> dict[int, int]:
    """Events per id block (keyed by ``id // width``) up to ``hwm``."""
    block = events.c.id - events.c.id % width
    with engine.connect() as conn:
        rows = conn.execute(
            select(block, func.count()).where(events.c.id <= hwm).group_by(block)
        ).all()
    return {int(b) // width: int(n) for b, n in rows}


def ids_between(engine: Engine, lo: int, hi: int) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.id).where(events.c.id >= lo, events.c.id < hi)
        ).scalars()
        return [int(i) for i in rows]


def max_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
