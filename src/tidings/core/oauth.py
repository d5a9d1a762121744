"""The OAuth2 client-credentials grant's credential work: checking a client's secret, and
issuing and revoking its access tokens. The protocol (forms, error codes) stays at the edge."""

from __future__ import annotations

from tidings.core.auth import new_secret, same, secret_hash
from tidings.model.timeparse import now_us
from tidings.storage import credentials
from tidings.storage.base import Storage
from tidings.storage.credentials import OAuthClient as OAuthClient


def authenticate_client(storage: Storage, client_id: str, secret: str) -> OAuthClient | None:
    """The client, if ``secret`` is its secret; None for a wrong secret or an unknown id."""
    found = credentials.get_client(storage.engine, client_id)
    digest = secret_hash(secret)
    if found is None:
        # Same work either way, so timing does not tell which client ids exist.
        same(digest, secret_hash("absent"))
        return None
    return found if same(found.secret_hash, digest) else None


def issue_access_token(
    storage: Storage, client: OAuthClient, scopes: tuple[str, ...], ttl_s: int
) -> str:
    """A new Bearer token for ``client`` granting ``scopes`` for ``ttl_s`` seconds."""
    token = new_secret("ot_")
    credentials.create_oauth_token(
        storage.engine, client.id, secret_hash(token), scopes, now_us() + ttl_s * 1_000_000
    )
    return token


def revoke_access_token(storage: Storage, client: OAuthClient, token: str) -> bool:
    """Revoke one of ``client``'s tokens; False when it holds no such live token."""
    return credentials.revoke_oauth_token(storage.engine, secret_hash(token), client.id)
