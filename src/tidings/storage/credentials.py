"""Credential tables: users' API tokens, OAuth2 clients and their access tokens.

Portable SQLAlchemy Core (SQLite and PostgreSQL). Only hashes of secrets are stored; callers
hash with :func:`tidings.core.auth.secret_hash` and compare found hashes in constant time.

Every OAuth2 client owns a source named ``oauth.<client name>`` (with no write key): events
its ``write`` tokens send are stored under that source, so the native API and the dashboard
show which client sent what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    Select,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tidings.errors import Conflict
from tidings.model.timeparse import now_us
from tidings.storage.schema import api_tokens, oauth_clients, oauth_tokens, sources, users

CLIENT_SOURCE_PREFIX = "oauth."


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    username: str
    role: str
    token_hash: str
    label: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class OAuthClient:
    id: int
    name: str
    client_id: str
    secret_hash: str
    scopes: tuple[str, ...]
    source_id: int
    created_at: int


@dataclass(frozen=True, slots=True)
class OAuthToken:
    """A live access token with what it grants; ``client`` names its client."""

    token_hash: str
    client: str
    client_id: str
    source_id: int
    scopes: tuple[str, ...]
    expires_at: int


# -- API tokens ------------------------------------------------------------------------------
def create_api_token(engine: Engine, username: str, token_hash: str, label: str | None) -> int:
    """Store a token for ``username``; returns its id. Raises LookupError for no such user."""
    with engine.begin() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            raise LookupError(username)
        result = conn.execute(
            insert(api_tokens).values(
                user_id=user_id, token_hash=token_hash, label=label, created_at=now_us()
            )
        )
    (token_id,) = result.inserted_primary_key or (0,)
    return int(token_id)


def _api_token_query() -> Select[Any]:
    return select(
        api_tokens.c.id,
        users.c.username,
        users.c.role,
        api_tokens.c.token_hash,
        api_tokens.c.label,
        api_tokens.c.created_at,
    ).join(users, users.c.id == api_tokens.c.user_id)


def api_token_by_hash(engine: Engine, token_hash: str) -> ApiToken | None:
    """The live token with this hash, with its user's current role."""
    query = _api_token_query().where(
        api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return ApiToken(*row) if row else None


def list_api_tokens(engine: Engine, username: str | None = None) -> list[ApiToken]:
    query = _api_token_query().where(api_tokens.c.revoked_at.is_(None))
    if username is not None:
        query = query.where(users.c.username == username)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(api_tokens.c.id)).all()
    return [ApiToken(*row) for row in rows]


def revoke_api_token(engine: Engine, token_id: int) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_us())
        )
    return result.rowcount > 0


# -- OAuth2 clients --------------------------------------------------------------------------
def create_client(
    engine: Engine, name: str, client_id: str, secret_hash: str, scopes: tuple[str, ...]
) -> OAuthClient:
    """Store a client and the source its events go to. Raises Conflict on a taken name."""
    created = now_us()
    try:
        with engine.begin() as conn:
            source = conn.execute(
                insert(sources).values(
                    name=CLIENT_SOURCE_PREFIX + name, key_hash=None, created_at=created
                )
            )
            (source_id,) = source.inserted_primary_key or (0,)
            result = conn.execute(
                insert(oauth_clients).values(
                    name=name,
                    client_id=client_id,
                    secret_hash=secret_hash,
                    scopes=" ".join(scopes),
                    source_id=source_id,
                    created_at=created,
                )
            )
    except IntegrityError:
        raise Conflict(
            f"client {name!r} (or source {CLIENT_SOURCE_PREFIX + name!r}) already exists"
        ) from None
    (pk,) = result.inserted_primary_key or (0,)
    return OAuthClient(int(pk), name, client_id, secret_hash, scopes, int(source_id), created)


def _client(row: tuple[object, ...]) -> OAuthClient:
    pk, name, client_id, secret, scopes, source_id, created = row
    return OAuthClient(
        int(str(pk)),
        str(name),
        str(client_id),
        str(secret),
        tuple(str(scopes).split()),
        int(str(source_id)),
        int(str(created)),
    )


def get_client(engine: Engine, client_id: str) -> OAuthClient | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(oauth_clients).where(oauth_clients.c.client_id == client_id)
        ).first()
    return _client(tuple(row)) if row else None


def list_clients(engine: Engine) -> list[OAuthClient]:
    with engine.connect() as conn:
        rows = conn.execute(select(oauth_clients).order_by(oauth_clients.c.name)).all()
    return [_client(tuple(row)) for row in rows]


def delete_client(engine: Engine, name: str) -> bool:
    """Delete a client, revoke its tokens and retire its source (its events stay)."""
    now = now_us()
    with engine.begin() as conn:
        row = conn.execute(
            select(oauth_clients.c.id, oauth_clients.c.source_id).where(
                oauth_clients.c.name == name
            )
        ).first()
        if row is None:
            return False
        pk, source_id = row
        conn.execute(
            update(oauth_tokens)
            .where(oauth_tokens.c.client_pk == pk, oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        conn.execute(
            update(sources)
            .where(sources.c.id == source_id, sources.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
        conn.execute(oauth_clients.delete().where(oauth_clients.c.id == pk))
    return True


# -- OAuth2 access tokens --------------------------------------------------------------------
def create_oauth_token(
    engine: Engine, client_pk: int, token_hash: str, scopes: tuple[str, ...], expires_at: int
) -> None:
    now = now_us()
    with engine.begin() as conn:
        # Expired and revoked tokens are dead rows: clear this client's on each new grant,
        # so a client asking for a token per request cannot grow the table without bound.
        conn.execute(
            oauth_tokens.delete().where(
                oauth_tokens.c.client_pk == client_pk,
                (oauth_tokens.c.expires_at <= now) | oauth_tokens.c.revoked_at.is_not(None),
            )
        )
        conn.execute(
            insert(oauth_tokens).values(
                client_pk=client_pk,
                token_hash=token_hash,
                scopes=" ".join(scopes),
                created_at=now,
                expires_at=expires_at,
            )
        )


def oauth_token_by_hash(engine: Engine, token_hash: str, now: int) -> OAuthToken | None:
    """The unexpired, unrevoked token with this hash, whose client still exists."""
    query = (
        select(
            oauth_tokens.c.token_hash,
            oauth_clients.c.name,
            oauth_clients.c.client_id,
            oauth_clients.c.source_id,
            oauth_tokens.c.scopes,
            oauth_tokens.c.expires_at,
        )
        .join(oauth_clients, oauth_clients.c.id == oauth_tokens.c.client_pk)
        .where(
            oauth_tokens.c.token_hash == token_hash,
            oauth_tokens.c.revoked_at.is_(None),
            oauth_tokens.c.expires_at > now,
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    digest, client, client_id, source_id, scopes, expires_at = row
    return OAuthToken(
        str(digest), str(client), str(client_id), int(source_id), tuple(scopes.split()), expires_at
    )


def revoke_oauth_token(engine: Engine, token_hash: str, client_pk: int) -> bool:
    """Revoke a token of this client (RFC 7009: unknown tokens are not an error)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(oauth_tokens)
            .where(
                oauth_tokens.c.token_hash == token_hash,
                oauth_tokens.c.client_pk == client_pk,
                oauth_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now_us())
        )
    return result.rowcount > 0
