"""The storage interface. Engines (SQLite, PostgreSQL) implement it; nothing above sees SQL.

Methods are blocking: the writer calls ``insert_batch`` from its own thread and request
handlers call reads through a worker thread, so an engine may use its driver directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.engine import Connection, Engine

from tidings.model.events import EventDraft
from tidings.model.records import (
    BucketStat,
    DayStat,
    EventFilter,
    InsertResult,
    RawRow,
    RollupRow,
    RollupTotal,
    Source,
    StoredEvent,
    Stream,
    User,
    percentile,
    person_of,
)
from tidings.storage.dedup import DEFAULT_WINDOW_DAYS

#: :func:`person_of` in SQL (both engines), over the events table's columns.
PERSON_SQL = "COALESCE(NULLIF(user_id, ''), 'anonymous:' || NULLIF(anonymous_id, ''))"


def row_filters(
    where: Callable[[EventFilter], tuple[list[str], list[object]] | None],
    flt: EventFilter | None,
) -> tuple[str, list[object]]:
    """`` AND ...`` SQL and parameters for the per-row filters of ``flt`` (user, session,
    properties), from an engine's ``_where``; streams and times are the caller's."""
    if flt is None:
        return "", []
    found = where(EventFilter(user_id=flt.user_id, session_id=flt.session_id, props=flt.props))
    if found is None:
        return "", []
    return "".join(f" AND {c}" for c in found[0]), found[1]


class SideWrite(Protocol):
    """A write that must commit with a batch's events or not at all (a person's traits, an
    Opencast record, a Microticks session): portable SQLAlchemy Core on the batch's own
    transaction. It must not fail on a repeat (upsert), since a retried batch repeats it."""

    def apply(self, conn: Connection) -> None: ...


class Storage(ABC):
    """A place to keep events, rollups and the entity tables.

    ``engine`` is the SQLAlchemy engine: cold-path entity tables (users, sources, OAuth2
    clients, adopters, ...) are written in portable SQLAlchemy Core against it, so every
    engine shares that code; only the event hot paths are engine-specific.
    """

    engine: Engine

    # -- deletion listeners (the analytics tier mirrors deletes by id) -----------------------
    def on_delete(self, listener: Callable[[Sequence[int]], None]) -> None:
        """Call ``listener(ids)`` after every committed delete (retention, erasure, deletes)
        with the ids of the events it removed, in the deleting thread."""
        self.__dict__.setdefault("_delete_listeners", []).append(listener)

    def has_delete_listeners(self) -> bool:
        return bool(self.__dict__.get("_delete_listeners"))

    def deleted(self, ids: Sequence[int]) -> None:
        """Tell the listeners that ``ids`` were deleted (engines call it after commit)."""
        if not ids:
            return
        for listener in self.__dict__.get("_delete_listeners", ()):
            listener(ids)

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    def startup(self) -> None:
        """Open connections and run migrations up to head."""

    @abstractmethod
    def shutdown(self) -> None:
        """Close every connection; later calls raise StorageClosed."""

    @abstractmethod
    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""

    @abstractmethod
    def sole_pass(self, name: str) -> AbstractContextManager[bool]:
        """True inside when this process may run the database-wide background pass ``name``
        (sealing, retention); False while another process runs it, so this one skips it.
        Taken without waiting; given up at exit, or when the holder dies."""

    # -- events ------------------------------------------------------------------------------
    @abstractmethod
    def insert_batch(
        self, drafts: Sequence[EventDraft], side_writes: Sequence[SideWrite] = ()
    ) -> list[InsertResult]:
        """Store events, update every rollup tier and apply ``side_writes`` (in order, after
        the events) in one transaction.

        Returns one result per draft, in order. A draft whose (source, message_id) was
        stored within the de-duplication window (:attr:`dedup_window_days`, storage/dedup.py),
        or repeated earlier in the same batch, is not stored again: its result carries the
        original's id and ``duplicate=True``.
        """

    @abstractmethod
    def list_events(self, flt: EventFilter, after: int, limit: int) -> list[StoredEvent]:
        """Events matching ``flt`` with id > ``after``, ascending by id, at most ``limit``."""

    @abstractmethod
    def streams(self, flt: EventFilter) -> list[Stream]:
        """Streams matching the source/namespace/names of ``flt``."""

    @abstractmethod
    def rollup_rows(
        self, tier: int, stream_ids: Sequence[int], ranges: Sequence[tuple[int, int]]
    ) -> Iterator[RollupRow]:
        """Rows of rollup tier ``tier`` (index into schema.TIERS) with bucket in any range."""

    def rollup_totals(
        self, tier: int, stream_ids: Sequence[int], pieces: Sequence[tuple[int, int, int]]
    ) -> Iterator[RollupTotal]:
        """Totals of tier ``tier`` per ``(key, lo, hi)`` piece and stream: the rows with
        ``lo <= bucket < hi``, summed (count, sum) and bounded (min, max) per key and stream.

        Pieces sharing a key add up. This default sums in Python; engines should push the
        grouping into SQL, since long ranges in odd time zones read tens of thousands of rows.
        """
        totals: dict[tuple[int, int], list[float]] = {}
        for key, lo, hi in pieces:
            for row in self.rollup_rows(tier, stream_ids, [(lo, hi)]):
                acc = totals.get((key, row.stream_id))
                if acc is None:
                    totals[(key, row.stream_id)] = [row.count, row.sum, row.min, row.max]
                else:
                    acc[0] += row.count
                    acc[1] += row.sum
                    acc[2] = min(acc[2], row.min)
                    acc[3] = max(acc[3], row.max)
        for (key, stream_id), (count, total, low, high) in totals.items():
            yield RollupTotal(key, stream_id, int(count), total, low, high)

    @abstractmethod
    def raw_rows(
        self,
        stream_ids: Sequence[int],
        ranges: Sequence[tuple[int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[RawRow]:
        """Raw events of these streams with ts in any of the half-open ranges."""

    def _raw_by_key(
        self,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None,
    ) -> dict[int, list[RawRow]]:
        found: dict[int, list[RawRow]] = {}
        for key, lo, hi in pieces:
            found.setdefault(key, []).extend(self.raw_rows(stream_ids, [(lo, hi)], flt))
        return {key: rows for key, rows in found.items() if rows}

    def distinct_persons(
        self,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        """Per key of the ``(key, lo, hi)`` pieces (``lo <= ts < hi``, pieces disjoint): the
        events of these streams matching the user/session/property filters of ``flt``, and
        the distinct persons (see :func:`person_of`) among them. Keys without events are
        left out. This default counts in Python; engines should count in SQL."""
        for key, rows in self._raw_by_key(stream_ids, pieces, flt).items():
            persons = {person_of(r.user_id, r.anonymous_id) for r in rows} - {None}
            yield BucketStat(key, len(rows), len(persons))

    def value_percentile(
        self,
        q: float,
        stream_ids: Sequence[int],
        pieces: Sequence[tuple[int, int, int]],
        flt: EventFilter | None = None,
    ) -> Iterator[BucketStat]:
        """Like :meth:`distinct_persons`, with the ``q`` quantile (0..1) of the values, as
        :func:`percentile` computes it."""
        for key, rows in self._raw_by_key(stream_ids, pieces, flt).items():
            yield BucketStat(key, len(rows), percentile([r.value for r in rows], q))

    # -- sealed days (storage/day_stats.py); these defaults mean "nothing is ever sealed" --
    def day_stats(
        self, stream_ids: Sequence[int], lo: int, hi: int, sketch: str | None = None
    ) -> list[DayStat]:
        """Sealed days of these streams with ``lo <= day_us < hi``; ``sketch`` names the
        sketch to load with them: ``"persons"``, ``"values"`` or None."""
        return []

    def unsealed_days(self, before_us: int, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` (stream id, day) with events, ending by ``before_us`` and not
        sealed, newest first."""
        return []

    def seal_day(self, stream_id: int, day_us: int, before_us: int) -> bool:
        """Compute and store one day's figures in one write transaction, if it ended by
        ``before_us``, has events and is not sealed yet; returns whether it stored them."""
        return False

    @abstractmethod
    def count_events(self) -> int:
        """Number of stored events."""

    #: Whole UTC days before an event's own day whose client message ids it is checked
    #: against (settings.dedup_window_days; storage/dedup.py).
    dedup_window_days: int = DEFAULT_WINDOW_DAYS

    @abstractmethod
    def expire_message_ids(self, limit: int) -> int:
        """Forget up to ``limit`` client message ids received before today's window, the
        oldest day first; returns how many (0 once none is left)."""

    # -- users -------------------------------------------------------------------------------
    @abstractmethod
    def create_user(self, username: str, password_hash: str, role: str) -> User:
        """Raises Conflict when the username exists."""

    @abstractmethod
    def get_user(self, username: str) -> User | None: ...

    @abstractmethod
    def list_users(self) -> list[User]: ...

    @abstractmethod
    def delete_user(self, username: str) -> bool: ...

    @abstractmethod
    def set_password(self, username: str, password_hash: str) -> bool: ...

    @abstractmethod
    def count_users(self) -> int: ...

    # -- dashboard sessions (storage/dashboard_sessions.py) ------------------------------------
    @abstractmethod
    def create_dashboard_session(
        self, token_hash: str, user_id: int, csrf: str, now_us: int, expires_us: int
    ) -> None:
        """Store a session (expired ones are swept out on the way)."""

    @abstractmethod
    def dashboard_session(self, token_hash: str, now_us: int) -> tuple[User, str] | None:
        """The user and CSRF token of a live session; None when unknown, ended or expired."""

    @abstractmethod
    def end_dashboard_session(self, token_hash: str) -> None: ...

    # -- sources -----------------------------------------------------------------------------
    @abstractmethod
    def create_source(self, name: str, key_hash: str, retention_days: int | None) -> Source:
        """Raises Conflict when a live source has this name."""

    @abstractmethod
    def source_by_key_hash(self, key_hash: str) -> Source | None: ...

    @abstractmethod
    def list_sources(self) -> list[Source]: ...

    @abstractmethod
    def source_names(self) -> dict[int, str]:
        """Every source id (deleted ones too: their events still name them) with its name."""

    @abstractmethod
    def delete_source(self, name: str) -> bool:
        """Revoke the key and free the name; stored events keep naming the source."""

    # -- deletion (retention, erasure) -------------------------------------------------------
    @abstractmethod
    def prune_events(self, source_id: int, before_us: int, limit: int) -> int:
        """Delete at most ``limit`` events of ``source_id`` older than ``before_us`` (rounded
        down to a whole UTC day, so rollup buckets go whole); the call that finds fewer than
        ``limit`` left also deletes the rollups before that day. Returns events deleted."""

    @abstractmethod
    def erase_person(self, user_id: str | None = None, anonymous_id: str | None = None) -> int:
        """Delete every event of this user id and/or anonymous id, in any source, and rebuild
        the rollup buckets they were in, in one transaction. Returns events deleted."""

    @abstractmethod
    def erase_linked(
        self, user_id: str | None = None, anonymous_id: str | None = None, dry_run: bool = False
    ) -> tuple[dict[str, int], int]:
        """Erase a person in one transaction: the events of ``user_id``, of every id linked
        to it by identify or alias (those naming no other user) and of ``anonymous_id``,
        with their rollup buckets rebuilt, and the person record of ``user_id`` (traits,
        links, group memberships). Returns the events deleted per id (every id of the
        person, zeros included; an event counts under its user id if it is the person's,
        else its anonymous id) and the person-record rows removed. ``dry_run``: count
        them the same way and change nothing."""

    @abstractmethod
    def count_matching(self, flt: EventFilter) -> int:
        """Number of stored events ``flt`` matches (as :meth:`list_events` and
        :meth:`delete_events` match them): the length of an export's progress."""

    @abstractmethod
    def delete_events(self, flt: EventFilter, dry_run: bool = False) -> int:
        """Delete the events matching ``flt`` (stream, time, user, session and property
        filters, the latter matched as :meth:`list_events` matches them; never with no filter
        at all: ValueError) and keep every rollup tier consistent, in one transaction.
        Returns events deleted (``dry_run``: the events that would be, nothing changed)."""

    def reset_sequences(self) -> None:  # noqa: B027 - optional hook; most engines need none
        """After rows were copied in with their ids: make new ids start past them."""
