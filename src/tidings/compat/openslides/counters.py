"""Live counters per (namespace, name) for autoupdate-style clients, and lookups the live
fan-out needs. Portable SQLAlchemy Core over the shared schema (SQLite and PostgreSQL).

Counts and sums come from the day rollups (one row per stream and day, kept in the same
transaction as the raw rows), so a snapshot does not scan every event.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select, tuple_

from tidings.model.timeparse import to_iso
from tidings.storage.base import Storage
from tidings.storage.schema import events, rollups_day, streams

Key = tuple[str, str]
Element = dict[str, Any]


def counters(storage: Storage, keys: Collection[Key] | None = None) -> dict[str, list[Element]]:
    """Current counters, by namespace, of ``keys`` (every stream when None)."""
    if keys is not None and not keys:
        return {}
    stream_query = select(streams.c.id, streams.c.namespace, streams.c.name)
    if keys is not None:
        stream_query = stream_query.where(
            tuple_(streams.c.namespace, streams.c.name).in_(list(keys))
        )
    acc: dict[Key, Element] = {}
    with storage.engine.connect() as conn:
        by_stream: dict[int, Key] = {}
        for stream_id, namespace, name in conn.execute(stream_query):
            by_stream[stream_id] = (namespace, name)
        if not by_stream:
            return {}
        totals = (
            select(
                rollups_day.c.stream_id, func.sum(rollups_day.c.count), func.sum(rollups_day.c.sum)
            )
            .where(rollups_day.c.stream_id.in_(list(by_stream)))
            .group_by(rollups_day.c.stream_id)
        )
        for stream_id, count, total in conn.execute(totals):
            key = by_stream[stream_id]
            element = acc.setdefault(key, _empty(key[1]))
            element["count"] += int(count or 0)
            element["sum"] += float(total or 0.0)
        for stream_id, key in by_stream.items():
            found = acc.get(key)
            if found is None:
                continue  # a stream whose events are all gone
            element = found
            last = conn.execute(
                select(events.c.ts, events.c.value)
                .where(events.c.stream_id == stream_id)
                .order_by(events.c.ts.desc(), events.c.id.desc())
                .limit(1)
            ).first()
            if last is not None and (element["_ts"] is None or last[0] > element["_ts"]):
                element["_ts"] = last[0]
                element["last_value"] = last[1]
    result: dict[str, list[Element]] = {}
    for (namespace, _), element in sorted(acc.items()):
        ts = element.pop("_ts")
        element["last_timestamp"] = to_iso(ts) if ts is not None else None
        result.setdefault(namespace, []).append(element)
    return result


def _empty(name: str) -> Element:
    return {"id": name, "count": 0, "sum": 0.0, "last_value": None, "_ts": None}


def changed_since(storage: Storage, after: int) -> tuple[set[Key], int]:
    """The (namespace, name) keys of events with id > ``after``, and the highest id seen."""
    query = (
        select(streams.c.namespace, streams.c.name, func.max(events.c.id))
        .select_from(events.join(streams, streams.c.id == events.c.stream_id))
        .where(events.c.id > after)
        .group_by(streams.c.namespace, streams.c.name)
    )
    keys: set[Key] = set()
    top = after
    with storage.engine.connect() as conn:
        for namespace, name, max_id in conn.execute(query):
            keys.add((namespace, name))
            top = max(top, int(max_id))
    return keys, top


def id_range(storage: Storage) -> tuple[int, int]:
    """The lowest and highest stored event id (0, 0 when there are none)."""
    with storage.engine.connect() as conn:
        low, high = conn.execute(select(func.min(events.c.id), func.max(events.c.id))).one()
    return int(low or 0), int(high or 0)
