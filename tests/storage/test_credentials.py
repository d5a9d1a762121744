"""Credential tables in portable SQLAlchemy Core, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.services import postgres_url
from tidings.core.auth import secret_hash
from tidings.errors import Conflict
from tidings.storage import credentials
from tidings.storage.schema import metadata, sources, users

TABLES = [
    users,
    sources,
    credentials.api_tokens,
    credentials.oauth_clients,
    credentials.oauth_tokens,
]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
        metadata.create_all(eng, tables=TABLES)
        yield eng
        eng.dispose()
        return
    schema = f"t_{secrets.token_hex(6)}"
    url = postgres_url().replace("postgresql://", "postgresql+psycopg://", 1)
    eng = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    with eng.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    metadata.create_all(eng, tables=TABLES)
    try:
        yield eng
    finally:
        with eng.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        eng.dispose()


def _user(engine: Engine, name: str = "ann", role: str = "viewer") -> None:
    with engine.begin() as conn:
        conn.execute(
            users.insert().values(username=name, password_hash="x", role=role, created_at=1)
        )


def test_api_tokens_resolve_to_their_user_until_revoked(engine: Engine) -> None:
    _user(engine)
    token_id = credentials.create_api_token(engine, "ann", secret_hash("t1"), "ci")
    found = credentials.api_token_by_hash(engine, secret_hash("t1"))
    assert found is not None and (found.username, found.role, found.label) == (
        "ann",
        "viewer",
        "ci",
    )
    assert [t.id for t in credentials.list_api_tokens(engine, "ann")] == [token_id]
    assert credentials.list_api_tokens(engine, "bob") == []
    assert credentials.revoke_api_token(engine, token_id)
    assert not credentials.revoke_api_token(engine, token_id)
    assert credentials.api_token_by_hash(engine, secret_hash("t1")) is None


def test_a_token_for_a_missing_user_is_refused(engine: Engine) -> None:
    with pytest.raises(LookupError):
        credentials.create_api_token(engine, "nobody", secret_hash("t"), None)


def test_a_client_owns_a_source_and_names_are_unique(engine: Engine) -> None:
    client = credentials.create_client(engine, "app", "cid", secret_hash("s"), ("read", "write"))
    assert client.scopes == ("read", "write")
    with engine.connect() as conn:
        name = conn.execute(
            sources.select()
            .with_only_columns(sources.c.name)
            .where(sources.c.id == client.source_id)
        ).scalar_one()
    assert name == "oauth.app"
    with pytest.raises(Conflict):
        credentials.create_client(engine, "app", "cid2", secret_hash("s"), ("read",))
    assert credentials.get_client(engine, "cid") == client
    assert [c.name for c in credentials.list_clients(engine)] == ["app"]


def test_oauth_tokens_expire_and_die_with_their_client(engine: Engine) -> None:
    client = credentials.create_client(engine, "app", "cid", secret_hash("s"), ("write",))
    end = 2**60
    credentials.create_oauth_token(engine, client.id, secret_hash("a"), ("write",), end)
    credentials.create_oauth_token(engine, client.id, secret_hash("b"), ("write",), end)
    live = credentials.oauth_token_by_hash(engine, secret_hash("a"), end - 1)
    assert live is not None and live.scopes == ("write",) and live.source_id == client.source_id
    assert credentials.oauth_token_by_hash(engine, secret_hash("a"), end) is None
    assert credentials.revoke_oauth_token(engine, secret_hash("a"), client.id)
    assert credentials.oauth_token_by_hash(engine, secret_hash("a"), 0) is None
    assert credentials.delete_client(engine, "app")
    assert credentials.oauth_token_by_hash(engine, secret_hash("b"), 0) is None
    assert not credentials.delete_client(engine, "app")
    # The retired source frees the name for a new client.
    credentials.create_client(engine, "app", "cid3", secret_hash("s"), ("read",))


def test_a_new_grant_clears_the_clients_dead_tokens(engine: Engine) -> None:
    client = credentials.create_client(engine, "app", "cid", secret_hash("s"), ("read",))
    credentials.create_oauth_token(engine, client.id, secret_hash("old"), ("read",), 1)
    credentials.create_oauth_token(engine, client.id, secret_hash("gone"), ("read",), 2**60)
    credentials.revoke_oauth_token(engine, secret_hash("gone"), client.id)
    credentials.create_oauth_token(engine, client.id, secret_hash("live"), ("read",), 2**60)
    credentials.create_oauth_token(engine, client.id, secret_hash("new"), ("read",), 2**60)
    with engine.connect() as conn:
        left = {
            row[0]
            for row in conn.execute(
                credentials.oauth_tokens.select().with_only_columns(
                    credentials.oauth_tokens.c.token_hash
                )
            )
        }
    assert left == {secret_hash("live"), secret_hash("new")}
