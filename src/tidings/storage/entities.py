"""Entity tables (users, sources) in portable SQLAlchemy Core, shared by every engine.

These are cold paths: a handful of rows, touched by the CLI and on credential cache misses.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tidings.errors import Conflict
from tidings.model.records import Source, User
from tidings.model.timeparse import now_us
from tidings.storage import dashboard_sessions
from tidings.storage.schema import sources, users


def _end_sessions_of(conn: Connection, username: str) -> None:
    user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if user_id is not None:
        dashboard_sessions.end_all(conn, int(user_id))


class EntityTables:
    """Mixin for :class:`~tidings.storage.base.Storage` engines with a SQLAlchemy engine."""

    engine: Engine

    # -- users -------------------------------------------------------------------------------
    def create_user(self, username: str, password_hash: str, role: str) -> User:
        created = now_us()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(users).values(
                        username=username,
                        password_hash=password_hash,
                        role=role,
                        created_at=created,
                    )
                )
        except IntegrityError:
            raise Conflict(f"user {username!r} already exists") from None
        (user_id,) = result.inserted_primary_key or (0,)
        return User(int(user_id), username, password_hash, role, created)

    def get_user(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        return User(*row) if row else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).all()
        return [User(*row) for row in rows]

    def delete_user(self, username: str) -> bool:
        with self.engine.begin() as conn:
            # Its dashboard sessions end in the same transaction: in every process at once.
            _end_sessions_of(conn, username)
            result = conn.execute(users.delete().where(users.c.username == username))
        return result.rowcount > 0

    def set_password(self, username: str, password_hash: str) -> bool:
        with self.engine.begin() as conn:
            _end_sessions_of(conn, username)
            result = conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash)
            )
        return result.rowcount > 0

    # -- dashboard sessions --------------------------------------------------------------------
    def create_dashboard_session(
        self, token_hash: str, user_id: int, csrf: str, now_us: int, expires_us: int
    ) -> None:
        dashboard_sessions.create(self.engine, token_hash, user_id, csrf, now_us, expires_us)

    def dashboard_session(self, token_hash: str, now_us: int) -> tuple[User, str] | None:
        return dashboard_sessions.find(self.engine, token_hash, now_us)

    def end_dashboard_session(self, token_hash: str) -> None:
        dashboard_sessions.end(self.engine, token_hash)

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    # -- sources -----------------------------------------------------------------------------
    def create_source(self, name: str, key_hash: str, retention_days: int | None) -> Source:
        created = now_us()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(sources).values(
                        name=name,
                        key_hash=key_hash,
                        retention_days=retention_days,
                        created_at=created,
                    )
                )
        except IntegrityError:
            raise Conflict(f"source {name!r} already exists") from None
        (source_id,) = result.inserted_primary_key or (0,)
        return Source(int(source_id), name, retention_days, created, key_hash)

    def source_by_key_hash(self, key_hash: str) -> Source | None:
        query = select(
            sources.c.id,
            sources.c.name,
            sources.c.retention_days,
            sources.c.created_at,
            sources.c.key_hash,
        ).where(sources.c.key_hash == key_hash, sources.c.deleted_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Source(*row) if row else None

    def list_sources(self) -> list[Source]:
        query = (
            select(sources.c.id, sources.c.name, sources.c.retention_days, sources.c.created_at)
            .where(sources.c.deleted_at.is_(None))
            .order_by(sources.c.name)
        )
        with self.engine.connect() as conn:
            return [Source(*row) for row in conn.execute(query).all()]

    def delete_source(self, name: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sources)
                .where(sources.c.name == name, sources.c.deleted_at.is_(None))
                .values(deleted_at=now_us(), key_hash=None)
            )
        return result.rowcount > 0

    def source_names(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources.c.id, sources.c.name)).all()
        return {int(row[0]): str(row[1]) for row in rows}
