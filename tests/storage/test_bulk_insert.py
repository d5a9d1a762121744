"""Many rows per statement: every row lands once, with its types, whatever the batch size."""

from __future__ import annotations

import sqlite3

import pytest

from tidings.storage.bulk_insert import MAX_ROWS, insert_rows

COLUMNS = ("id", "label", "amount", "note")


def _table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, amount REAL, note TEXT)")
    return conn


@pytest.mark.parametrize("count", [1, 2, 3, 5, 31, MAX_ROWS - 1, MAX_ROWS, MAX_ROWS + 1, 5000])
def test_every_row_is_inserted_once_and_no_padding_row_is(count: int) -> None:
    conn = _table()
    rows = [(i + 1, f"row {i}", i / 2, None if i % 2 else "n") for i in range(count)]
    insert_rows(conn, "t", COLUMNS, rows)
    stored = conn.execute("SELECT id, label, amount, note FROM t ORDER BY id").fetchall()
    assert stored == rows


def test_values_keep_their_types_under_column_affinity() -> None:
    conn = _table()
    insert_rows(conn, "t", COLUMNS, [(7, "x", 1, '{"a": 1}')])
    row = conn.execute("SELECT typeof(id), typeof(amount), amount, note FROM t").fetchone()
    # REAL affinity stores the integer 1 as 1.0, as a single-row INSERT would.
    assert row == ("integer", "real", 1.0, '{"a": 1}')


def test_an_empty_batch_inserts_nothing() -> None:
    conn = _table()
    insert_rows(conn, "t", COLUMNS, [])
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_failing_row_fails_the_whole_statement() -> None:
    conn = _table()
    insert_rows(conn, "t", COLUMNS, [(1, "a", 1.0, None)])
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, "t", COLUMNS, [(2, "b", 1.0, None), (1, "again", 1.0, None)])
    assert conn.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,)]


def test_a_lower_parameter_limit_means_smaller_statements_not_failures() -> None:
    conn = _table()
    # SQLite builds before 3.32 allowed 999 bound parameters; 999 // 4 columns -> 128 rows.
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    rows = [(i + 1, "x", 1.0, None) for i in range(1000)]
    insert_rows(conn, "t", COLUMNS, rows)
    assert conn.execute("SELECT count(*), max(id) FROM t").fetchone() == (1000, 1000)


def test_rows_wider_than_one_statement_may_bind_are_refused() -> None:
    conn = _table()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 3)
    with pytest.raises(ValueError, match="more than one statement may bind"):
        insert_rows(conn, "t", COLUMNS, [(1, "x", 1.0, None)])
