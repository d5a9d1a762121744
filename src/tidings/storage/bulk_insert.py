"""Many rows into one SQLite table with one statement per 2,048 rows.

Each ``sqlite3_step`` releases the GIL and must win it back from the busy event loop, so the
writer inserts a whole batch in one statement instead of one step per row (``executemany``).
Passing the batch as one JSON array and unpacking it with ``json_each`` did that, but SQLite
re-parsed each row's JSON once per column: 5.8-8.8 us per row, against 3.0-3.7 us for the
same rows bound as parameters of a multi-row ``VALUES`` (bench/ceilings.py measures both).

Statements are built for power-of-two row counts only, and a batch is padded up to the next
one with all-NULL rows that the ``WHERE`` drops, so a handful of statements cover every batch
size and each stays in the connection's prepared-statement cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache

#: Most rows per statement; fewer where the SQLite build allows fewer bound parameters
#: (32,766 by default since 3.32, 999 before, 250,000 in Debian's build).
MAX_ROWS = 2048


@lru_cache(maxsize=64)
def _statement(table: str, columns: tuple[str, ...], rows: int) -> str:
    row = "(" + ",".join("?" * len(columns)) + ")"
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table} ({names}) SELECT * FROM (VALUES {','.join([row] * rows)})"
        # The padding rows are all NULL; a real row's first column never is.
        " WHERE column1 IS NOT NULL"
    )


def insert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[object]],
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order; the first column must never be NULL)."""
    width = len(columns)
    per_statement = min(MAX_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    if per_statement < 1:
        raise ValueError(f"{width} columns are more than one statement may bind")
    # A power of two, so the padded statements stay the same dozen.
    per_statement = 1 << (per_statement.bit_length() - 1)
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        size = 1 << (len(part) - 1).bit_length()
        params = [value for row in part for value in row]
        params.extend([None] * (width * (size - len(part))))
        conn.execute(_statement(table, columns, size), params)
