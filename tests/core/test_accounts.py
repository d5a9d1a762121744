"""Issuing credentials: secrets returned once, stored hashed; errors name the problem."""

from __future__ import annotations

import pytest

from tidings.core.accounts import issue_api_token, register_client
from tidings.core.auth import secret_hash
from tidings.errors import Conflict, Invalid, NotFound
from tidings.http.deps import Runtime
from tidings.storage import credentials


def test_an_api_token_is_stored_only_as_its_hash(rt: Runtime, viewer: tuple[str, str]) -> None:
    token_id, token = issue_api_token(rt.storage, viewer[0], "laptop")
    assert token.startswith("tk_") and len(token) > 32
    (listed,) = credentials.list_api_tokens(rt.storage.engine, viewer[0])
    assert listed.id == token_id and listed.token_hash == secret_hash(token)
    with pytest.raises(NotFound):
        issue_api_token(rt.storage, "ghost")


def test_a_client_gets_canonical_scopes_and_a_unique_name(rt: Runtime) -> None:
    client, secret = register_client(rt.storage, "app", ["aggregation", "write"])
    assert client.scopes == ("write", "aggregation")
    assert client.secret_hash == secret_hash(secret)
    with pytest.raises(Conflict):
        register_client(rt.storage, "app", ["read"])
    with pytest.raises(Invalid):
        register_client(rt.storage, "other", ["admin"])
