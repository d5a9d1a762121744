"""Deleting events without breaking rollups or ids: retention pruning and erasure.

Shared by every engine in portable SQLAlchemy Core; an engine supplies ``_write_tx`` (a
transaction that excludes its writers) and ``_mark_high_water`` (remember the highest id
before rows go, if its ids would otherwise be reused).

Pruning cuts at whole UTC days, the widest rollup bucket, so every rollup row is either
wholly kept or wholly deleted and never disagrees with the raw rows it summarises.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from sqlalchemy import ColumnElement, Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from tidings.model.records import EventFilter, Stream
from tidings.storage import persons
from tidings.storage.day_stats import forget, forget_before
from tidings.storage.schema import TIERS, events, message_ids, streams

DAY_US = TIERS[-1][1]


class Maintenance:
    """Mixin implementing :meth:`Storage.prune_events`, :meth:`Storage.erase_person`,
    :meth:`Storage.erase_linked` and :meth:`Storage.delete_events`."""

    engine: Engine

    @abstractmethod
    def count_events(self) -> int: ...

    @abstractmethod
    def _write_tx(self) -> AbstractContextManager[Connection]: ...

    @abstractmethod
    def _mark_high_water(self, conn: Connection) -> None: ...

    @abstractmethod
    def _prop_condition(self, key: str, value: str) -> ColumnElement[bool]:
        """Events whose property ``key`` renders as ``value``, the way the engine's list
        filter renders it (JSON true/false and numbers as their JSON text)."""

    def _after_delete(self) -> None:
        """Forget caches that may name deleted rows."""

    def _listening(self) -> bool:
        listening: Callable[[], bool] | None = getattr(self, "has_delete_listeners", None)
        return listening is not None and listening()

    def _deleted(self, ids: Sequence[int]) -> None:
        """Hand the committed delete's ids to the listeners (see :meth:`Storage.on_delete`)."""
        deleted: Callable[[Sequence[int]], None] | None = getattr(self, "deleted", None)
        if deleted is not None:
            deleted(ids)

    @abstractmethod
    def streams(self, flt: EventFilter) -> list[Stream]: ...

    def prune_events(self, source_id: int, before_us: int, limit: int) -> int:
        cutoff = before_us - before_us % DAY_US
        with self._write_tx() as conn:
            stream_ids = list(
                conn.execute(select(streams.c.id).where(streams.c.source_id == source_id))
                .scalars()
                .all()
            )
            if not stream_ids:
                return 0
            ids = list(
                conn.execute(
                    select(events.c.id)
                    .where(events.c.stream_id.in_(stream_ids), events.c.ts < cutoff)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            if ids:
                self._mark_high_water(conn)
                conn.execute(delete(events).where(events.c.id.in_(ids)))
                forget_before(conn, stream_ids, cutoff)
            if len(ids) < limit:
                # The last batch for this cut-off: the rollups of those days go too.
                for table, _width in TIERS:
                    conn.execute(
                        delete(table).where(
                            table.c.stream_id.in_(stream_ids), table.c.bucket < cutoff
                        )
                    )
        self._deleted(ids)
        return len(ids)

    def erase_person(self, user_id: str | None = None, anonymous_id: str | None = None) -> int:
        conditions = []
        if user_id is not None:
            conditions.append(events.c.user_id == user_id)
        if anonymous_id is not None:
            conditions.append(events.c.anonymous_id == anonymous_id)
        if not conditions:
            raise ValueError("erase_person needs a user_id or an anonymous_id")
        where = or_(*conditions)
        with self._write_tx() as conn:
            hits = conn.execute(
                select(events.c.stream_id, events.c.ts, events.c.id).where(where)
            ).all()
            _erase(conn, where, [(s, ts) for s, ts, _id in hits], self._mark_high_water)
        self._after_delete()
        self._deleted([int(row[2]) for row in hits])
        return len(hits)

    def erase_linked(
        self, user_id: str | None = None, anonymous_id: str | None = None, dry_run: bool = False
    ) -> tuple[dict[str, int], int]:
        with self._write_tx() as conn:
            linked = persons.linked_ids(conn, user_id) if user_id is not None else []
            users = [i for i in (user_id, *linked) if i is not None]
            conditions: list[ColumnElement[bool]] = []
            if users:
                conditions.append(events.c.user_id.in_(users))
            if linked:
                # A linked id's events that name no user; those naming another user are
                # that user's (the id was shared, or linked after they were sent).
                nobody = or_(events.c.user_id.is_(None), events.c.user_id == "")
                conditions.append(and_(nobody, events.c.anonymous_id.in_(linked)))
            if anonymous_id is not None:
                conditions.append(events.c.anonymous_id == anonymous_id)
            if not conditions:
                raise ValueError("erase_linked needs a user_id or an anonymous_id")
            where = or_(*conditions)
            columns = (
                events.c.stream_id,
                events.c.ts,
                events.c.user_id,
                events.c.anonymous_id,
                events.c.id,
            )
            hits = conn.execute(select(*columns).where(where)).all()
            counts = dict.fromkeys([*users, *linked, *([anonymous_id] if anonymous_id else [])], 0)
            for _stream, _ts, user, anonymous, _id in hits:
                key = user if user in counts and user else anonymous
                counts[key] = counts.get(key, 0) + 1
            if dry_run:
                return counts, persons.records_of(conn, user_id) if user_id is not None else 0
            _erase(conn, where, [(s, ts) for s, ts, _u, _a, _i in hits], self._mark_high_water)
            records = persons.forget_in(conn, user_id) if user_id is not None else 0
        self._after_delete()
        self._deleted([int(row[4]) for row in hits])
        return counts, records

    def _conditions(self, flt: EventFilter) -> list[ColumnElement[bool]] | None:
        """Conditions on events for ``flt``; None when no stream can match."""
        conds: list[ColumnElement[bool]] = []
        if flt.source is not None or flt.namespace is not None or flt.names:
            stream_ids = [s.id for s in self.streams(flt)]
            if not stream_ids:
                return None
            conds.append(events.c.stream_id.in_(stream_ids))
        if flt.from_us is not None:
            conds.append(events.c.ts >= flt.from_us)
        if flt.to_us is not None:
            conds.append(events.c.ts < flt.to_us)
        if flt.user_id is not None:
            conds.append(events.c.user_id == flt.user_id)
        if flt.session_id is not None:
            conds.append(events.c.session_id == flt.session_id)
        conds.extend(self._prop_condition(key, value) for key, value in flt.props)
        if not conds:
            raise ValueError("deleting every event needs at least one filter")
        return conds

    def count_matching(self, flt: EventFilter) -> int:
        if flt == EventFilter():
            return self.count_events()
        conds = self._conditions(flt)
        return 0 if conds is None else self._count_where(and_(*conds))

    def _count_where(self, where: ColumnElement[bool]) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(where)).scalar_one())

    def delete_events(self, flt: EventFilter, dry_run: bool = False) -> int:
        conds = self._conditions(flt)
        if conds is None:
            return 0
        where = and_(*conds)
        if dry_run:
            return self._count_where(where)
        width = TIERS[0][1]
        minute = (events.c.ts - events.c.ts % width).label("minute")
        with self._write_tx() as conn:
            hits = conn.execute(select(events.c.stream_id, minute).where(where).distinct()).all()
            if not hits:
                return 0
            self._mark_high_water(conn)
            # The ids only when someone mirrors deletes (the analytics tier): one more read.
            ids = (
                list(conn.execute(select(events.c.id).where(where)).scalars())
                if self._listening()
                else []
            )
            _forget_message_ids(conn, where)
            deleted = conn.execute(delete(events).where(where)).rowcount
            forget(conn, hits)
            # Without a person or property filter every event of a bucket inside the time
            # range matched: those rollup rows simply go; only the buckets at the range's
            # edges are rebuilt. Otherwise every touched bucket is rebuilt from what is left.
            partial = flt.user_id is not None or flt.session_id is not None or bool(flt.props)
            if not partial:
                _delete_whole_buckets(conn, sorted({s for s, _ in hits}), flt)
            for table, tier_width in TIERS:
                buckets = {(s, m - m % tier_width) for s, m in hits}
                for stream_id, bucket in sorted(buckets):
                    if partial or not _whole(bucket, tier_width, flt):
                        _recompute(conn, table, stream_id, bucket, tier_width)
        self._after_delete()
        self._deleted([int(i) for i in ids])
        return int(deleted)


def _erase(
    conn: Connection,
    where: ColumnElement[bool],
    hits: list[tuple[int, int]],
    mark_high_water: Callable[[Connection], None],
) -> None:
    """Delete the events ``where`` selects, found at ``hits`` (stream id, time), and rebuild
    the rollup buckets and forget the sealed days they were in."""
    if not hits:
        return
    mark_high_water(conn)
    _forget_message_ids(conn, where)
    conn.execute(delete(events).where(where))
    forget(conn, hits)
    for table, width in TIERS:
        for stream_id, bucket in sorted({(s, ts - ts % width) for s, ts in hits}):
            _recompute(conn, table, stream_id, bucket, width)


_FORGET_ID = delete(message_ids).where(
    message_ids.c.source_id == bindparam("s"),
    message_ids.c.message_id == bindparam("m"),
    message_ids.c.event_id == bindparam("e"),
)


def _forget_message_ids(conn: Connection, where: ColumnElement[bool]) -> None:
    """Free the client ids of the events ``where`` selects: sending one again stores a new
    event (erasure and deletion undo the event entirely; retention does not come here)."""
    rows = conn.execute(
        select(events.c.id, events.c.source_id, events.c.message_id).where(
            where, events.c.message_id.is_not(None)
        )
    ).all()
    if rows:
        conn.execute(_FORGET_ID, [{"e": e, "s": s, "m": m} for e, s, m in rows])


def _ceil(us: int, width: int) -> int:
    return -(-us // width) * width


def _delete_whole_buckets(conn: Connection, stream_ids: list[int], flt: EventFilter) -> None:
    """Delete the rollup rows that lie wholly inside ``flt``'s time range (all their events
    matched); the caller rebuilds the partly covered ones."""
    for table, width in TIERS:
        conds: list[ColumnElement[bool]] = [table.c.stream_id.in_(stream_ids)]
        if flt.from_us is not None:
            conds.append(table.c.bucket >= _ceil(flt.from_us, width))
        if flt.to_us is not None:
            conds.append(table.c.bucket <= flt.to_us - width)
        conn.execute(delete(table).where(*conds))


def _whole(bucket: int, width: int, flt: EventFilter) -> bool:
    return (flt.from_us is None or flt.from_us <= bucket) and (
        flt.to_us is None or bucket + width <= flt.to_us
    )


def _recompute(conn: Connection, table: Table, stream_id: int, bucket: int, width: int) -> None:
    """Rebuild one rollup row from the raw events left in its bucket (min and max cannot be
    un-folded, so subtracting the erased events would not do)."""
    count, total, low, high = conn.execute(
        select(
            func.count(),
            func.sum(events.c.value),
            func.min(events.c.value),
            func.max(events.c.value),
        ).where(
            events.c.stream_id == stream_id,
            events.c.ts >= bucket,
            events.c.ts < bucket + width,
        )
    ).one()
    key = (table.c.stream_id == stream_id, table.c.bucket == bucket)
    if not count:
        conn.execute(delete(table).where(*key))
    else:
        conn.execute(update(table).where(*key).values(count=count, sum=total, min=low, max=high))
