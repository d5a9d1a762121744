"""What the analytics tier reads of the system of record besides events: the alias links
it copies, and per-block event counts to check its copy against after a crash."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from tidings.storage.schema import events, person_aliases


def alias_signature(engine: Engine) -> tuple[int, int]:
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
