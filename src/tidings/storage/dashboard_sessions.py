"""Dashboard sessions kept server-side, so ending one takes effect at once in every process.

A session is a row keyed by the SHA-256 of the cookie's random token (a stolen database
does not hold usable cookies). Logging out deletes the row; a password change or the user's
deletion deletes all of the user's rows, in the same transaction as the change
(:mod:`tidings.storage.entities`); rows past their expiry are never answered and are swept
out whenever a session starts.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert, select

from tidings.model.records import User
from tidings.storage.schema import dashboard_sessions as sessions
from tidings.storage.schema import users


def create(
    engine: Engine, token_hash: str, user_id: int, csrf: str, now_us: int, expires_us: int
) -> None:
    """Store a new session, sweeping out expired ones on the way."""
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at <= now_us))
        conn.execute(
            insert(sessions).values(
                token_hash=token_hash,
                user_id=user_id,
                csrf=csrf,
                created_at=now_us,
                expires_at=expires_us,
            )
        )


def find(engine: Engine, token_hash: str, now_us: int) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None (unknown, ended or expired)."""
    query = (
        select(users, sessions.c.csrf)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now_us)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    *user, csrf = row
    return User(*user), csrf


def end(engine: Engine, token_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def end_all(conn: Connection, user_id: int) -> None:
    """End every session of ``user_id``, inside the caller's transaction."""
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
