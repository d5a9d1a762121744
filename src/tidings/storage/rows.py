"""Single-statement row writes on entity tables, for modules that own a table of their own
(a compat slice's consumers or sessions) and need no more than one insert or one update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, insert, update
from sqlalchemy.sql.elements import ColumnElement


def insert_row(engine: Engine, table: Table, **values: Any) -> int:
    """Insert one row in a transaction of its own; its generated primary key."""
    with engine.begin() as conn:
        result = conn.execute(insert(table).values(**values))
    (row_id,) = result.inserted_primary_key or (0,)
    return int(row_id)


def update_rows(engine: Engine, table: Table, where: ColumnElement[bool], **values: Any) -> bool:
    """Set ``values`` on the rows matching ``where`` in one statement; False when none did
    (so a check folded into ``where`` and the set cannot race)."""
    with engine.begin() as conn:
        result = conn.execute(update(table).where(where).values(**values))
    return result.rowcount > 0
