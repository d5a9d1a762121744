"""Reading one snapshot of the columnar copy: the ``events`` view over its rows plus the
unapplied tail, restricted to a question's filter (see :mod:`tidings.analytics.columnar`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from tidings.analytics.columnar import (
    FIELD_NAMES,
    PERSON_PREFIX,
    TABLE,
    ColumnarStore,
    TierQueryFailed,
    extract,
    to_arrow,
)
from tidings.model.records import EventFilter, StoredEvent

#: prop() names a property by this identifier; the view defines it for the keys asked.
_PROP_REF = re.compile(r'"__p_([0-9a-f]*)"')
_PERSON_REF = re.compile(r"\bperson\b", re.IGNORECASE)


@contextmanager
def snapshot(store: ColumnarStore) -> Iterator[Reader]:
    """A snapshot of ``store``: its mark and rows stay as they were when it opened."""
    cur = store.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        yield Reader(cur, store.promoted, store.insert_sql)
    finally:
        try:
            cur.execute("ROLLBACK")
        finally:
            cur.close()


class Reader:
    """One snapshot of the copy; :meth:`query` answers SQL over its ``events`` view."""

    def __init__(
        self, cur: duckdb.DuckDBPyConnection, promoted: dict[str, str], insert_sql: Any
    ) -> None:
        self._cur = cur
        self._promoted = promoted
        self._insert_sql = insert_sql
        row = cur.execute("SELECT v FROM tier_meta WHERE k = 'hwm'").fetchall()
        self.hwm = int(row[0][0]) if row else 0
        self._tail = False

    def load_tail(self, tail: Sequence[StoredEvent]) -> None:
        """Add ``tail`` (committed events above :attr:`hwm`) to what ``events`` shows."""
        if tail:
            cur = self._cur
            cur.register("tail_rows", to_arrow(tail))
            cur.execute(f"CREATE TEMP TABLE tail AS SELECT * FROM main.{TABLE} LIMIT 0")
            cur.execute(self._insert_sql("tail_rows", "temp.tail"))
            cur.unregister("tail_rows")
            self._tail = True

    def query(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        """``sql`` with ``events`` = this snapshot's rows plus the tail, restricted to
        ``flt``. The view defines the columns ``sql`` asks for: a ``person`` column only
        when it names one (the aliases join), each :func:`prop_ref` it holds."""
        sources = [f"SELECT {', '.join(self._columns())} FROM main.{TABLE}"]
        if self._tail:
            sources.append(f"SELECT {', '.join(self._columns())} FROM temp.tail")
        where = _where(flt, self._expr)
        person = _PERSON_REF.search(sql) is not None
        cols = [f"e.{name}" for name in FIELD_NAMES if name != "properties"]
        cols.append(
            "coalesce(nullif(e.user_id, ''), a.user_id, "
            f"'{PERSON_PREFIX}' || nullif(e.anonymous_id, '')) AS person"
            if person
            else "NULL::VARCHAR AS person"
        )
        cols.append("e.properties")
        for hex_key in sorted(set(_PROP_REF.findall(sql))):
            key = bytes.fromhex(hex_key).decode()
            cols.append(f'{self._expr(key, "e")} AS "__p_{hex_key}"')
        join = (
            " LEFT JOIN main.tier_aliases a ON nullif(e.user_id, '') IS NULL "
            "AND a.alias = e.anonymous_id"
            if person
            else ""
        )
        inner = " UNION ALL ".join(sources)
        view = f"SELECT {', '.join(cols)} FROM ({inner}) e{join}" + (
            f" WHERE {' AND '.join(where)}" if where else ""
        )
        self._cur.execute(f"CREATE OR REPLACE TEMP VIEW events AS {view}")
        try:
            return self._cur.execute(sql, list(params)).fetchall()
        except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
            raise TierQueryFailed(str(exc)) from exc

    def _columns(self) -> list[str]:
        return [*FIELD_NAMES, *self._promoted.values()]

    def _expr(self, key: str, alias: str = "e") -> str:
        column = self._promoted.get(key)
        return f"{alias}.{column}" if column else extract(key, f"{alias}.properties")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _where(flt: EventFilter, expr: Any) -> list[str]:
    """The filter as SQL over alias ``e``; a view takes no parameters, so values are
    literals."""
    clauses: list[str] = []
    for column, op, value in (
        ("source", "=", flt.source),
        ("namespace", "=", flt.namespace),
        ("user_id", "=", flt.user_id),
        ("session_id", "=", flt.session_id),
        ("ts", ">=", flt.from_us),
        ("ts", "<", flt.to_us),
    ):
        if value is not None:
            clauses.append(f"e.{column} {op} {_literal(value)}")
    if flt.names:
        clauses.append(f"e.name IN ({', '.join(_literal(n) for n in flt.names)})")
    for key, value in flt.props:
        clauses.append(f"{expr(key, 'e')} = {_literal(value)}")
    return clauses
