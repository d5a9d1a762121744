"""Sources that adapters write to without a write key (the edX webhook authenticates by its
own shared secret): found by name, created without a key on first use."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from tidings.model.records import Source
from tidings.model.timeparse import now_us
from tidings.storage.schema import sources


def source_named(engine: Engine, name: str) -> Source:
    """The live source called ``name``; created (with no write key) when there is none.

    A source an operator created with ``tidings source create`` under that name is used as is.
    """
    query = select(
        sources.c.id, sources.c.name, sources.c.retention_days, sources.c.created_at
    ).where(sources.c.name == name, sources.c.deleted_at.is_(None))
    for _ in range(2):
        with engine.connect() as conn:
            row = conn.execute(query).first()
        if row is not None:
            return Source(int(row[0]), str(row[1]), row[2], int(row[3]))
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(sources).values(
                        name=name, key_hash=None, retention_days=None, created_at=now_us()
                    )
                )
        except IntegrityError:
            continue  # created concurrently; read it back
    raise RuntimeError(f"could not create source {name!r}")
