"""Which filters of a read name something never seen: an answer says so (``"unknown"``)
instead of being silently empty, so a typo in a source, namespace or event name is noticed.

Never seen means: no source by that name was ever created (revoked ones count as seen), and
no event of that namespace, or of that name (within the namespace when one is given), was
ever stored. The streams table holds one row per (source, namespace, name) ever written,
so each check is one small indexed or short lookup, not a scan of events. A value no event
or source could hold (a NUL character, a lone surrogate) is unknown without asking the
database, which could not even compare it (PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

from sqlalchemy import select

from tidings.model.records import EventFilter
from tidings.storage.base import Storage
from tidings.storage.schema import sources, streams


def _storable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unknown(storage: Storage, flt: EventFilter) -> list[str]:
    """``kind:value`` for each filter value never seen, in the order source, namespace,
    names (e.g. ``["source:web", "name:sign_up"]``); empty when everything was seen."""
    if flt.source is None and flt.namespace is None and not flt.names:
        return []
    found: list[str] = []
    with storage.engine.connect() as conn:
        if flt.source is not None:
            seen = (
                _storable(flt.source)
                and (
                    conn.execute(select(sources.c.id).where(sources.c.name == flt.source).limit(1))
                ).first()
                is not None
            )
            if not seen:
                found.append(f"source:{flt.source}")
        namespace_seen = True
        if flt.namespace is not None:
            namespace_seen = (
                _storable(flt.namespace)
                and (
                    conn.execute(
                        select(streams.c.id).where(streams.c.namespace == flt.namespace).limit(1)
                    )
                ).first()
                is not None
            )
            if not namespace_seen:
                found.append(f"namespace:{flt.namespace}")
        if flt.names and namespace_seen:
            asked = [name for name in flt.names if _storable(name)]
            seen_names: set[str] = set()
            if asked:
                query = select(streams.c.name).where(streams.c.name.in_(asked)).distinct()
                if flt.namespace is not None:
                    query = query.where(streams.c.namespace == flt.namespace)
                seen_names = {row[0] for row in conn.execute(query)}
            found.extend(
                f"name:{name}" for name in dict.fromkeys(flt.names) if name not in seen_names
            )
    return found
