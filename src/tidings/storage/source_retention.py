"""A source's own retention setting: ``tidings source update`` and the dashboard's sources
page."""

from __future__ import annotations

from sqlalchemy import Engine, and_

from tidings.storage.rows import update_rows
from tidings.storage.schema import sources


def set_source_retention(engine: Engine, name: str, days: int | None) -> bool:
    """Set (None: clear, so the global setting applies) a live source's retention; False when
    there is no such source."""
    live = and_(sources.c.name == name, sources.c.deleted_at.is_(None))
    return update_rows(engine, sources, live, retention_days=days)
