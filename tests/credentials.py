"""Helpers for tests that need OAuth2 clients, their tokens, or users' API tokens."""

from __future__ import annotations

import secrets

from starlette.testclient import TestClient

from tidings.core.accounts import issue_api_token, register_client
from tidings.http.deps import Runtime


def make_client(rt: Runtime, *scopes: str, name: str | None = None) -> tuple[str, str]:
    """A new OAuth2 client with ``scopes``; returns ``(client_id, client_secret)``."""
    made, secret = register_client(rt.storage, name or f"c{secrets.token_hex(4)}", list(scopes))
    return made.client_id, secret


def oauth_token(client: TestClient, rt: Runtime, *scopes: str) -> str:
    """An access token of a fresh client holding exactly ``scopes``."""
    client_id, secret = make_client(rt, *scopes)
    answer = client.post(
        "/o/token/",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def api_token(rt: Runtime, username: str) -> str:
    """A fresh API token acting as ``username``."""
    return issue_api_token(rt.storage, username)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
