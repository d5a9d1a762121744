"""The daily salts of the web visitor hash, kept in the ``counters`` table.

Every process of an installation hashes with the same salt on the same UTC day, so the rows
live in the shared store. A salt is two random 63-bit numbers (126 bits; ``counters`` holds
one BIGINT a row) named ``web_salt:<day>:0`` and ``:1``. Making a day's salt deletes every
other day's, so yesterday's visitors cannot be linked to today's by anyone, the server
included.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tidings.storage.schema import counters

PREFIX = "web_salt:"


def _names(day: str) -> tuple[str, str]:
    return f"{PREFIX}{day}:0", f"{PREFIX}{day}:1"


def _read(engine: Engine, day: str) -> bytes | None:
    names = _names(day)
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(counters.c.name, counters.c.value).where(counters.c.name.in_(names))
            ).all()
        )
    if len(rows) != 2:
        return None
    return b"".join(int(rows[n]).to_bytes(8, "big") for n in names)


def daily_salt(engine: Engine, day: str) -> bytes:
    """The salt of ``day`` (``YYYY-MM-DD``, UTC), made on first use; 16 bytes."""
    salt = _read(engine, day)
    if salt is not None:
        return salt
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(counters),
                [{"name": n, "value": secrets.randbits(63)} for n in _names(day)],
            )
            conn.execute(
                delete(counters).where(
                    counters.c.name.startswith(PREFIX, autoescape=True),
                    counters.c.name.not_in(_names(day)),
                )
            )
    except IntegrityError:
        pass  # another process made it first; theirs is the one
    salt = _read(engine, day)
    assert salt is not None
    return salt


def salt_days(engine: Engine) -> list[str]:
    """The days that have a salt stored (for tests and operators: at most one)."""
    with engine.connect() as conn:
        names = conn.execute(
            select(counters.c.name).where(counters.c.name.startswith(PREFIX, autoescape=True))
        ).scalars()
        return sorted({n[len(PREFIX) :].rsplit(":", 1)[0] for n in names})
