"""Upserts of the Opencast entity tables, runnable alone or as a batch's side write.

A statistic posted by an Opencast instance is stored twice over: as its row (with hosts)
and as core events. :class:`RowUpsert` lets the row commit in the events' transaction, so
the client is answered from one commit and neither is stored without the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Column, Engine, Table, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tidings.model.timeparse import now_us

T = TypeVar("T")
#: Writes one record and reads it back as stored.
Work = Callable[[Connection], dict[str, Any]]


def stamp_columns() -> tuple[Column[int], Column[int]]:
    """``created`` and ``updated`` (us), which :func:`upsert` sets: every upserted table has
    them. New objects each call, since a column belongs to one table."""
    return (
        Column("created", BigInteger, nullable=False),
        Column("updated", BigInteger, nullable=False),
    )


def upsert(
    conn: Connection, table: Table, key_col: str, key: str, values: Mapping[str, Any]
) -> None:
    """Update only the named columns of row ``key``, or insert it."""
    now = now_us()
    column = table.c[key_col]
    changed = conn.execute(
        update(table).where(column == key).values(**values, updated=now)
    ).rowcount
    if not changed:
        conn.execute(insert(table).values(**{key_col: key}, **values, created=now, updated=now))


def retrying(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in a transaction of its own (see :func:`retrying_in`)."""
    with engine.begin() as conn:
        return retrying_in(conn, work)


def retrying_in(conn: Connection, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on ``conn``; once more if a concurrent insert of the same key won the
    race (the second try then finds the row and updates it). The first try runs in a
    savepoint, so its failure leaves the rest of the transaction intact."""
    try:
        with conn.begin_nested():
            return work(conn)
    except IntegrityError:
        return work(conn)


class RowUpsert:
    """A side write (see :class:`~tidings.storage.base.SideWrite`) running ``work``; after
    the commit, :attr:`row` holds the record as stored, for the answer."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self.row: dict[str, Any] = {}

    def apply(self, conn: Connection) -> None:
        self.row = retrying_in(conn, self.work)
