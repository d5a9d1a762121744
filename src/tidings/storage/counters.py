"""Named high-water marks kept beside the events.

``events_id`` is the highest event id ever handed out. Pruning and erasure delete rows, and
an engine that numbers events from ``MAX(id)`` (SQLite) would otherwise hand a deleted id out
again: a live reader or a cursor past it would then skip the new event.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from tidings.storage.schema import metadata

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
