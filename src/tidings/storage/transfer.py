"""Copy every table from one database to another, ids and all (``tidings migrate-data``).

Tables are walked in key order in chunks (constant memory) and copied verbatim, so event
ids, stream ids and rollups come across unchanged and cursors and ``Last-Event-ID`` values
held by clients stay valid. The target must be empty: a merge would need new ids.

Every chunk is read in one transaction, REPEATABLE READ on PostgreSQL: the copy is one
consistent snapshot even while a server keeps writing (``tidings backup`` relies on it).
A SQLite database is backed up with SQLite's own online backup API instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, select, tuple_
from sqlalchemy.engine import Connection, Engine

from tidings.errors import Conflict
from tidings.storage.base import Storage
from tidings.storage.schema import TIERS

CHUNK = 5_000


def tables(engine: Engine) -> list[Table]:
    """Every table of the database, parents before children. Read from the database itself:
    compat slices declare their own tables above this layer, and all of them are copied."""
    found = MetaData()
    found.reflect(bind=engine)
    return [t for t in found.sorted_tables if t.name != "alembic_version"]


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in tables(engine)
        }


def rollup_totals(engine: Engine) -> dict[str, tuple[int, float]]:
    """Per tier: total count and total sum, the figures an aggregate is made of."""
    found = {}
    with engine.connect() as conn:
        for table, _ in TIERS:
            count, total = conn.execute(
                select(func.coalesce(func.sum(table.c.count), 0), func.sum(table.c.sum))
            ).one()
            found[table.name] = (int(count), round(float(total or 0.0), 6))
    return found


def _chunks(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    key = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        query = select(table).order_by(*key).limit(CHUNK)
        if last is not None:
            query = query.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
        rows = [dict(row._mapping) for row in conn.execute(query)]
        if not rows:
            return
        yield rows
        if not key or len(rows) < CHUNK:
            return
        last = tuple(rows[-1][c.name] for c in key)


def copy_all(
    source: Storage, target: Storage, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; returns rows copied per table.

    Raises:
        Conflict: the target already holds data.
    """
    busy = {name: n for name, n in row_counts(target.engine).items() if n}
    if busy:
        name, n = next(iter(busy.items()))
        raise Conflict(
            f"the target database is not empty (table {name} has {n} rows); "
            "copy into a fresh one (a new data dir, or an empty PostgreSQL database)"
        )
    copied: dict[str, int] = {}
    with _snapshot(source.engine) as read:
        for table in tables(target.engine):
            copied[table.name] = 0
            for rows in _chunks(read, table):
                with target.engine.begin() as conn:
                    conn.execute(table.insert(), rows)
                copied[table.name] += len(rows)
                if progress is not None:
                    progress(len(rows))
    target.reset_sequences()
    return copied


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One connection whose reads all see the same committed state; rolled back after."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin() as transaction:
                yield conn
                transaction.rollback()
            return
        # pysqlite opens no transaction for a SELECT: open one, so every chunk reads one
        # snapshot of the WAL (readers never block the writer).
        conn.exec_driver_sql("BEGIN")
        yield conn


def sqlite_backup(engine: Engine, path: Path) -> None:
    """Copy a live SQLite database into the new file ``path`` with SQLite's online backup
    API: in one step, so the copy is one consistent snapshot (a stepwise backup restarts
    whenever another connection writes, and a busy server writes all the time)."""
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with sqlite3.connect(path) as target:
            source.backup(target, pages=-1)
        target.close()
    finally:
        raw.close()


def single_file(path: Path) -> None:
    """Fold a SQLite file's write-ahead log into it and leave it in rollback-journal mode:
    one self-contained file, safe to move, copy or mail."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def is_tidings_file(path: Path) -> bool:
    """Whether ``path`` is a SQLite database that Tidings' migrations made."""
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('alembic_version', 'events')"
        ).fetchone()
        return bool(found and found[0] == 2)
    finally:
        conn.close()
