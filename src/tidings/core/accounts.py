"""Making and revoking credentials: one place for the command line and the dashboard.

Each ``issue_*`` function returns the secret exactly once; only its hash is stored.
"""

from __future__ import annotations

import secrets

from tidings.core.auth import check_scopes, new_secret, secret_hash
from tidings.errors import NotFound
from tidings.storage import credentials
from tidings.storage.base import Storage
from tidings.storage.credentials import OAuthClient


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
