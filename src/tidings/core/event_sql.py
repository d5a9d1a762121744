"""The SQL view of events that the analytics questions read (section 8 of the API).

Breakdowns, funnels, retention, the web summary and people are written once, as DuckDB SQL over
one relation named ``events``, and answered by whichever provider holds the rows:

- the analytics tier (a columnar copy in DuckDB, plus the unapplied tail from the system of
  record), when it is on;
- :class:`LoadedEvents`, which copies the matching events out of the system of record into an
  in-memory DuckDB table for one question: exact, and slow on big ranges; the fallback and
  the reference the tier's answers are held to.

The ``events`` relation a provider exposes holds exactly the events that match the question's
:class:`EventFilter` (every list filter, the range included), with these columns:

======================  =========  ==========================================================
column                  type       meaning
======================  =========  ==========================================================
id                      BIGINT     the event id (commit order)
source                  VARCHAR    the source's name
namespace, name         VARCHAR
ts                      BIGINT     event time, UTC microseconds
received_at             BIGINT     server time, UTC microseconds
value                   DOUBLE
user_id, anonymous_id   VARCHAR    as stored (NULL when absent)
session_id              VARCHAR
person                  VARCHAR    ``user_id``; else the user id the anonymous id is linked
                                   to by identify/alias; else ``'anon:' || anonymous_id``;
                                   else NULL
properties              VARCHAR    the properties as JSON text, or NULL
======================  =========  ==========================================================

Property values are read with :meth:`EventSQL.prop`, never by parsing ``properties`` in the
question's SQL, so the tier can answer from columns it keeps per key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import duckdb

from tidings.core.query import iter_all
from tidings.model.records import EventFilter, StoredEvent
from tidings.storage import persons
from tidings.storage.base import Storage

PERSON_PREFIX = "anon:"


class EventSQL(Protocol):
    """Answers DuckDB SQL over the ``events`` relation described in this module's docstring."""

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` (DuckDB dialect, ``?`` parameters) with ``events`` restricted to ``flt``.

        Runs off the event loop; bounded in memory by the provider's settings.
        """
        ...

    def prop(self, key: str) -> str:
        """A SQL expression over ``events`` giving property ``key`` as the list filters compare
        it (VARCHAR: strings as themselves, numbers, ``true``/``false``, arrays and objects as
        JSON text), or NULL when the event has no such key or it holds ``null``. ``key`` is
        matched exactly, whatever it holds."""
        ...


def prop_path(key: str) -> str:
    """``key`` as a DuckDB JSON pointer inside a SQL string literal: a pointer names any key
    exactly (only ``~`` and ``/`` are escaped), where a ``$.`` path would need quoting rules."""
    pointer = "/" + key.replace("~", "~0").replace("/", "~1")
    return "'" + pointer.replace("'", "''") + "'"


_COLUMNS = (
    "id BIGINT, source VARCHAR, namespace VARCHAR, name VARCHAR, ts BIGINT, received_at BIGINT, "
    "value DOUBLE, user_id VARCHAR, anonymous_id VARCHAR, session_id VARCHAR, person VARCHAR, "
    "properties VARCHAR"
)
_CHUNK = 5000
_TYPES = (
    "BIGINT",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "BIGINT",
    "BIGINT",
    "DOUBLE",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
)
#: Rows from one list per column, zipped by ``unnest`` (the lists have equal lengths).
_INSERT = "INSERT INTO events SELECT " + ", ".join(f"unnest(?::{t}[])" for t in _TYPES)


class LoadedEvents:
    """:class:`EventSQL` over the system of record: each question copies the events matching
    its filter into a private in-memory DuckDB database (exact; slow on big ranges)."""

    def __init__(self, storage: Storage, memory_limit: str = "256MB") -> None:
        self._storage = storage
        self._memory_limit = memory_limit

    def prop(self, key: str) -> str:
        return f"json_extract_string(properties, {prop_path(key)})"

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self._fetch, flt, sql, params)

    def _fetch(self, flt: EventFilter, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        con = duckdb.connect(":memory:", config={"memory_limit": self._memory_limit, "threads": 1})
        try:
            con.execute(f"CREATE TABLE events ({_COLUMNS})")
            self._load(con, flt)
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def _load(self, con: duckdb.DuckDBPyConnection, flt: EventFilter) -> None:
        chunk: list[StoredEvent] = []
        for event in iter_all(self._storage, flt):
            chunk.append(event)
            if len(chunk) >= _CHUNK:
                self._insert(con, chunk)
                chunk = []
        if chunk:
            self._insert(con, chunk)

    def _insert(self, con: duckdb.DuckDBPyConnection, chunk: list[StoredEvent]) -> None:
        # An empty user id names nobody (as erasure reads it): such events resolve too.
        anonymous = {e.anonymous_id for e in chunk if not e.user_id and e.anonymous_id}
        links = persons.resolve_aliases(self._storage.engine, anonymous)
        # One statement per chunk, each column bound as one list: DuckDB's executemany runs
        # row by row (about 4 ms per event), which made a few thousand events take seconds.
        columns: list[list[object]] = [
            [e.id for e in chunk],
            [e.source for e in chunk],
            [e.namespace for e in chunk],
            [e.name for e in chunk],
            [e.timestamp for e in chunk],
            [e.received_at for e in chunk],
            [e.value for e in chunk],
            [e.user_id for e in chunk],
            [e.anonymous_id for e in chunk],
            [e.session_id for e in chunk],
            [person_of_event(e.user_id, e.anonymous_id, links) for e in chunk],
            [e.properties for e in chunk],
        ]
        con.execute(_INSERT, columns)


def person_of_event(
    user_id: str | None, anonymous_id: str | None, links: Mapping[str, str]
) -> str | None:
    """The ``person`` column: the user id, the user an anonymous id is linked to, else the
    anonymous id prefixed with :data:`PERSON_PREFIX`."""
    if user_id:
        return user_id
    if anonymous_id:
        return links.get(anonymous_id) or PERSON_PREFIX + anonymous_id
    return None
