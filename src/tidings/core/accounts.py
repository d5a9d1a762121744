"""Making, listing and revoking credentials: one place for the command line and the dashboard.

Each ``issue_*``/``register_*``/``create_*`` function returns the secret exactly once; only its
hash is stored.
"""

from __future__ import annotations

import secrets

from tidings.core.auth import check_scopes, new_secret, secret_hash
from tidings.errors import NotFound
from tidings.storage import credentials
from tidings.storage.base import Storage
from tidings.storage.credentials import ApiToken as ApiToken
from tidings.storage.credentials import OAuthClient as OAuthClient
from tidings.storage.source_retention import set_source_retention

#: An OAuth2 client's events are stored under the source of this prefix and its name.
CLIENT_SOURCE_PREFIX = credentials.CLIENT_SOURCE_PREFIX


# -- sources and their write keys --------------------------------------------------------------
def create_source(storage: Storage, name: str, retention_days: int | None) -> str:
    """A new source and its write key, returned once (the name is checked by the caller).

    Raises:
        Conflict: the name is taken.
    """
    key = new_secret("wk_")
    storage.create_source(name, secret_hash(key), retention_days)
    return key


def set_retention(storage: Storage, name: str, days: int | None) -> bool:
    """Keep a live source's events ``days`` days (None: as the global setting says); False
    when there is no such source."""
    return set_source_retention(storage.engine, name, days)


# -- users' API tokens -------------------------------------------------------------------------
def issue_api_token(storage: Storage, username: str, label: str | None = None) -> tuple[int, str]:
    """A new API token acting as ``username``: ``(id, token)``.

    Raises:
        NotFound: no such user.
    """
    token = new_secret("tk_")
    try:
        token_id = credentials.create_api_token(storage.engine, username, secret_hash(token), label)
    except LookupError:
        raise NotFound(f"user {username!r} does not exist") from None
    return token_id, token


def api_tokens(storage: Storage, username: str | None = None) -> list[ApiToken]:
    """Live API tokens (all users', or ``username``'s), oldest first; never the secrets."""
    return credentials.list_api_tokens(storage.engine, username)


def revoke_api_token(storage: Storage, token_id: int) -> bool:
    """False when there is no such token or it is already revoked."""
    return credentials.revoke_api_token(storage.engine, token_id)


# -- OAuth2 clients ----------------------------------------------------------------------------
def register_client(storage: Storage, name: str, scopes: list[str]) -> tuple[OAuthClient, str]:
    """A new OAuth2 client with ``scopes`` and its own source: ``(client, client_secret)``.

    Raises:
        Invalid: an unknown scope, or none.
        Conflict: the name (or its source name ``oauth.NAME``) is taken.
    """
    granted = check_scopes(scopes)
    secret = new_secret("cs_")
    client = credentials.create_client(
        storage.engine, name, secrets.token_urlsafe(24), secret_hash(secret), granted
    )
    return client, secret


def clients(storage: Storage) -> list[OAuthClient]:
    """Every OAuth2 client, by name; never the secrets."""
    return credentials.list_clients(storage.engine)


def delete_client(storage: Storage, name: str) -> bool:
    """Delete a client, revoke its tokens and retire its source (its events stay); False
    when there is no such client."""
    return credentials.delete_client(storage.engine, name)
