"""Which driver exceptions mean "a backing service is unreachable right now" (the database
or Redis went away, or SQLite's write lock is held too long), as opposed to a bug.

The HTTP layer answers those with 503 and Retry-After, like :class:`~tidings.errors.Unavailable`,
so clients retry instead of treating a passing outage as a server fault (500).
"""

from __future__ import annotations

import sqlite3
import sys

from sqlalchemy import exc as sa_exc

#: SQLite OperationalError texts that are transient; others ("no such table") are bugs.
_SQLITE_TRANSIENT = ("locked", "busy", "disk i/o error", "unable to open")


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it wraps) says a service is unreachable."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        return is_outage(exc.orig) if exc.orig is not None else False
    if isinstance(exc, sa_exc.TimeoutError):  # waited too long for a pooled connection
        return True
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(part in text for part in _SQLITE_TRANSIENT)
    # Drivers of optional extras: if one is not imported, its errors cannot occur.
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.OperationalError):
        return True
    redis_exceptions = sys.modules.get("redis.exceptions")
    if redis_exceptions is not None and isinstance(
        exc, redis_exceptions.ConnectionError | redis_exceptions.TimeoutError
    ):
        return True
    return isinstance(exc, ConnectionError | TimeoutError)


def describe(exc: BaseException) -> str:
    """One line for the log: the driver's own message, without the SQL statement and bound
    parameters SQLAlchemy appends (they may hold credential hashes)."""
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    lines = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {lines[0] if lines else ''}"
