"""The installation id: one random number per database, made on first use.

Servers that share a database are one installation; servers with different databases are
not, even when they share a Redis. The Redis bus prefixes its channels and keys with this
id, so two installations on one Redis never see each other's live events, notifications or
applause, while every process of one installation does.
"""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tidings.storage.schema import counters

NAME = "installation"


def _read(engine: Engine) -> int | None:
    with engine.connect() as conn:
        value = conn.execute(select(counters.c.value).where(counters.c.name == NAME)).scalar()
    return None if value is None else int(value)


def installation_id(engine: Engine) -> str:
    """The id as 16 hex digits, the same for every process on this database."""
    value = _read(engine)
    if value is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(counters).values(name=NAME, value=secrets.randbits(63)))
        except IntegrityError:
            pass  # another process made it first; theirs is the one
        value = _read(engine)
    assert value is not None
    return f"{value:016x}"
