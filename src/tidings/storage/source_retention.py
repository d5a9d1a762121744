"""A source's own retention setting: ``tidings source update`` and the dashboard's sources
page."""

from __future__ import annotations

from sqlalchemy import Engine, update

from tidings.storage.schema import sources


def set_source_retention(engine: Engine, name: str, days: int | None) -> bool:
    """Set (None: clear, so the global setting applies) a live source's retention; False when
    there is no such source."""
    with engine.begin() as conn:
        result = conn.execute(
            update(sources)
            .where(sources.c.name == name, sources.c.deleted_at.is_(None))
            .values(retention_days=days)
        )
    return result.rowcount > 0
