"""The DuckDB file that holds the columnar copy of the events, and its high-water mark.

Layout (measured against the alternatives in BENCHMARKS.md, "Analytics tier"):

- ``tier_events``: typed columns for the event fields, the properties as their JSON text
  (the ``properties`` column of the :mod:`tidings.core.event_sql` contract), and one VARCHAR
  column ``p_N`` per *promoted* key: a key seen in at least :data:`PROMOTE_SHARE` of the
  events fed is promoted (at most :data:`MAX_PROMOTED`), its column backfilled, and from then
  on filled as rows arrive. A breakdown or filter on a promoted key reads one dictionary-
  compressed column; any other key is read from the JSON text.
- ``tier_meta``: the high-water mark (the highest event id applied), written in the same
  DuckDB transaction as the rows, so a crash leaves both or neither.
- ``tier_aliases``: a copy of ``person_aliases`` (anonymous id -> user id), joined at query
  time so an identify that links old events later changes their ``person`` at once.

Rows go in in id order and ids follow commit order, so the file is nearly sorted by ``ts``
and DuckDB's per-row-group min/max skip most of it for a time range.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from tidings.model.records import StoredEvent

TABLE = "tier_events"
#: A key is promoted to its own column once it is in this share of the events fed ...
PROMOTE_SHARE = 0.05
#: ... and this many events were fed since the process started (so one odd batch does not).
PROMOTE_AFTER = 1000
MAX_PROMOTED = 64
#: Keys are counted in every batch for this many events, then in one batch in KEY_SAMPLE.
PROMOTE_SAMPLED_AFTER = 200_000
KEY_SAMPLE = 20
PERSON_PREFIX = "anon:"

_FIELDS = (
    ("id", "BIGINT", pa.int64()),
    ("source", "VARCHAR", pa.string()),
    ("namespace", "VARCHAR", pa.string()),
    ("name", "VARCHAR", pa.string()),
    ("ts", "BIGINT", pa.int64()),
    ("received_at", "BIGINT", pa.int64()),
    ("value", "DOUBLE", pa.float64()),
    ("user_id", "VARCHAR", pa.string()),
    ("anonymous_id", "VARCHAR", pa.string()),
    ("session_id", "VARCHAR", pa.string()),
    ("properties", "VARCHAR", pa.string()),
)
FIELD_NAMES = tuple(name for name, _sql, _arrow in _FIELDS)
_ARROW = pa.schema([(name, arrow) for name, _sql, arrow in _FIELDS])


def json_pointer(key: str) -> str:
    """``key`` as a SQL string literal holding a JSON pointer (names any key exactly)."""
    pointer = "/" + key.replace("~", "~0").replace("/", "~1")
    return "'" + pointer.replace("'", "''") + "'"


def prop_ref(key: str) -> str:
    """The identifier :meth:`Reader.run` resolves to property ``key`` (hex, so any key)."""
    return f'"__p_{key.encode().hex()}"'


def extract(key: str, column: str = "properties") -> str:
    return f"json_extract_string({column}, {json_pointer(key)})"


def to_arrow(rows: Sequence[StoredEvent]) -> pa.Table:
    return columns_to_arrow(
        {
            "id": [e.id for e in rows],
            "source": [e.source for e in rows],
            "namespace": [e.namespace for e in rows],
            "name": [e.name for e in rows],
            "ts": [e.timestamp for e in rows],
            "received_at": [e.received_at for e in rows],
            "value": [e.value for e in rows],
            "user_id": [e.user_id for e in rows],
            "anonymous_id": [e.anonymous_id for e in rows],
            "session_id": [e.session_id for e in rows],
            "properties": [e.properties for e in rows],
        }
    )


def columns_to_arrow(columns: Mapping[str, Sequence[object]]) -> pa.Table:
    """Events given as one list per field (``FIELD_NAMES``) as an Arrow table."""
    return pa.Table.from_pydict({name: list(columns[name]) for name in FIELD_NAMES}, schema=_ARROW)


class TierBusy(RuntimeError):
    """Another process holds the DuckDB file (DuckDB allows one writing process)."""


class TierQueryFailed(RuntimeError):
    """DuckDB could not answer (out of memory past ``memory_limit``, an I/O error)."""


class ColumnarStore:
    """One DuckDB database file: feeding (one writer thread at a time) and reading (any
    number of threads, each on its own cursor and snapshot)."""

    def __init__(self, path: str, memory_limit: str = "256MB", threads: int = 1) -> None:
        self.path = path
        try:
            self._con = duckdb.connect(
                path,
                config={
                    "memory_limit": memory_limit,
                    "threads": threads,
                    # Scans answer in any order; the questions sort what they return.
                    "preserve_insertion_order": False,
                },
            )
        except duckdb.IOException as exc:
            raise TierBusy(f"{path}: {exc}") from None
        self._write = threading.Lock()
        self._seen = 0
        self._batches = 0
        self._key_counts: dict[str, int] = {}
        self._con.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            + ", ".join(f"{name} {sql}" for name, sql, _a in _FIELDS)
            + ")"
        )
        self._con.execute("CREATE TABLE IF NOT EXISTS tier_meta (k VARCHAR PRIMARY KEY, v BIGINT)")
        self._con.execute("INSERT OR IGNORE INTO tier_meta VALUES ('hwm', 0)")
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS tier_columns (key VARCHAR PRIMARY KEY, col VARCHAR)"
        )
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS tier_aliases (alias VARCHAR PRIMARY KEY, user_id VARCHAR)"
        )
        self._promoted = self._load_promoted()

    def close(self) -> None:
        self._con.close()

    def _load_promoted(self) -> dict[str, str]:
        rows = self._con.execute("SELECT key, col FROM tier_columns").fetchall()
        return {str(k): str(c) for k, c in rows}

    @property
    def promoted(self) -> dict[str, str]:
        return dict(self._promoted)

    # -- state ----------------------------------------------------------------------------
    def hwm(self) -> int:
        row = self._con.cursor().execute("SELECT v FROM tier_meta WHERE k = 'hwm'").fetchall()
        return int(row[0][0]) if row else 0

    def count(self, upto: int | None = None) -> int:
        sql = f"SELECT count(*) FROM {TABLE}" + ("" if upto is None else " WHERE id <= ?")
        row = self._con.cursor().execute(sql, [] if upto is None else [upto]).fetchall()
        return int(row[0][0]) if row else 0

    def block_counts(self, width: int) -> dict[int, int]:
        rows = (
            self._con.cursor()
            .execute(f"SELECT id // ?, count(*) FROM {TABLE} GROUP BY 1", [width])
            .fetchall()
        )
        return {int(b): int(n) for b, n in rows}

    def ids_between(self, lo: int, hi: int) -> list[int]:
        rows = (
            self._con.cursor()
            .execute(f"SELECT id FROM {TABLE} WHERE id >= ? AND id < ?", [lo, hi])
            .fetchall()
        )
        return [int(r[0]) for r in rows]

    def bytes_on_disk(self) -> int:
        row = (
            self._con.cursor()
            .execute("SELECT total_blocks * block_size FROM pragma_database_size()")
            .fetchall()
        )
        return int(row[0][0]) if row else 0

    # -- writes ---------------------------------------------------------------------------
    def apply(self, rows: Sequence[StoredEvent] | pa.Table, hwm: int) -> None:
        """Append ``rows`` (ids above the current mark, ascending; records or an Arrow table
        from :func:`columns_to_arrow`) and move the mark to ``hwm``, in one transaction."""
        with self._write:
            staging = rows if isinstance(rows, pa.Table) else to_arrow(rows)
            self._maybe_promote(staging)
            cur = self._con.cursor()
            try:
                cur.register("staging", staging)
                cur.execute("BEGIN")
                cur.execute(self._insert_sql("staging"))
                cur.execute("UPDATE tier_meta SET v = ? WHERE k = 'hwm'", [hwm])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    def _insert_sql(self, source: str, target: str = TABLE) -> str:
        names = [*FIELD_NAMES, *self._promoted.values()]
        values = [*FIELD_NAMES, *(extract(key) for key in self._promoted)]
        return f"INSERT INTO {target} ({', '.join(names)}) SELECT {', '.join(values)} FROM {source}"

    def _maybe_promote(self, staging: pa.Table) -> None:
        """Count keys in ``staging`` and promote the frequent ones not yet promoted."""
        if len(self._promoted) >= MAX_PROMOTED or staging.num_rows == 0:
            return
        self._batches += 1
        # Past the first events the shares are known: sample one batch in KEY_SAMPLE.
        if self._seen >= PROMOTE_SAMPLED_AFTER and self._batches % KEY_SAMPLE:
            return
        cur = self._con.cursor()
        try:
            cur.register("staging", staging)
            counts = cur.execute(
                "SELECT k, count(*) FROM (SELECT unnest(json_keys(properties)) AS k "
                "FROM staging WHERE properties IS NOT NULL) GROUP BY k"
            ).fetchall()
        finally:
            cur.close()
        self._seen += staging.num_rows
        for key, n in counts:
            self._key_counts[str(key)] = self._key_counts.get(str(key), 0) + int(n)
        if self._seen < PROMOTE_AFTER:
            return
        wanted = sorted(
            (k for k, n in self._key_counts.items() if n >= PROMOTE_SHARE * self._seen),
            key=lambda k: -self._key_counts[k],
        )
        for key in wanted:
            if key not in self._promoted and len(self._promoted) < MAX_PROMOTED:
                self._promote(key)

    def _promote(self, key: str) -> None:
        column = f"p_{len(self._promoted)}"
        cur = self._con.cursor()
        try:
            cur.execute("BEGIN")
            cur.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} VARCHAR")
            cur.execute(f"UPDATE {TABLE} SET {column} = {extract(key)}")
            cur.execute("INSERT INTO tier_columns VALUES (?, ?)", [key, column])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        self._promoted[key] = column

    def delete_ids(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        with self._write:
            cur = self._con.cursor()
            try:
                cur.register("gone", pa.table({"id": pa.array(list(ids), pa.int64())}))
                row = cur.execute(
                    f"DELETE FROM {TABLE} WHERE id IN (SELECT id FROM gone) RETURNING 1"
                ).fetchall()
                return len(row)
            finally:
                cur.close()

    def replace_aliases(self, aliases: Sequence[tuple[str, str]]) -> None:
        with self._write:
            cur = self._con.cursor()
            try:
                table = pa.table(
                    {
                        "alias": pa.array([a for a, _u in aliases], pa.string()),
                        "user_id": pa.array([u for _a, u in aliases], pa.string()),
                    }
                )
                cur.register("fresh", table)
                cur.execute("BEGIN")
                cur.execute("DELETE FROM tier_aliases")
                cur.execute("INSERT INTO tier_aliases SELECT alias, user_id FROM fresh")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    def reset(self) -> None:
        """Empty the copy (rows, mark, aliases); promoted columns stay."""
        with self._write:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN")
                cur.execute(f"DELETE FROM {TABLE}")
                cur.execute("DELETE FROM tier_aliases")
                cur.execute("UPDATE tier_meta SET v = 0 WHERE k = 'hwm'")
                cur.execute("COMMIT")
            finally:
                cur.close()

    def checkpoint(self) -> None:
        with self._write:
            self._con.cursor().execute("CHECKPOINT")

    # -- reads (see tidings.analytics.reader) ---------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one thread (DuckDB's rule for threads)."""
        return self._con.cursor()

    def insert_sql(self, source: str, target: str = TABLE) -> str:
        """``INSERT`` of the rows of relation ``source`` into ``target``, promoted columns
        computed from their JSON."""
        return self._insert_sql(source, target)
