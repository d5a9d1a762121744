"""``tidings token`` and ``tidings client``, run in process with click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main
from tidings.core.auth import secret_hash
from tidings.storage import credentials
from tidings.storage.sqlite import SQLiteStorage


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("TIDINGS_ADMIN_PASSWORD", "TIDINGS_DATABASE_URL", "TIDINGS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIDINGS_DATA_DIR", str(tmp_path / "data"))
    create_installation(tmp_path / "data")
    return CliRunner()


def _storage(tmp_path: Path) -> SQLiteStorage:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'data' / 'tidings.db'}")
    storage.startup()
    return storage


def test_token_create_list_revoke(runner: CliRunner, tmp_path: Path) -> None:
    made = runner.invoke(main, ["user", "create", "ann", "--password", "password-1"])
    assert made.exit_code == 0, made.output
    result = runner.invoke(main, ["token", "create", "--user", "ann", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["token"].startswith("tk_") and created["user"] == "ann"
    storage = _storage(tmp_path)
    found = credentials.api_token_by_hash(storage.engine, secret_hash(created["token"]))
    storage.shutdown()
    assert found is not None and found.username == "ann"
    listed = json.loads(runner.invoke(main, ["token", "list", "--json"]).stdout)
    assert [row["id"] for row in listed] == [created["id"]]
    assert created["token"] not in json.dumps(listed)
    assert runner.invoke(main, ["token", "revoke", str(created["id"])]).exit_code == 0
    again = runner.invoke(main, ["token", "revoke", str(created["id"])])
    assert again.exit_code == 1 and "already revoked" in again.stderr


def test_token_for_an_unknown_user_fails_with_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["token", "create", "--user", "ghost"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "tidings: error: user 'ghost' does not exist"


def test_client_create_list_delete(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["client", "create", "app", "--scope", "write", "--scope", "read", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["scopes"] == ["read", "write"] and created["source"] == "oauth.app"
    storage = _storage(tmp_path)
    stored = credentials.get_client(storage.engine, created["client_id"])
    storage.shutdown()
    assert stored is not None and stored.secret_hash == secret_hash(created["client_secret"])
    listed = json.loads(runner.invoke(main, ["client", "list", "--json"]).stdout)
    assert [(c["name"], c["scopes"]) for c in listed] == [("app", "read write")]
    assert created["client_secret"] not in json.dumps(listed)
    duplicate = runner.invoke(main, ["client", "create", "app", "--scope", "read"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    assert runner.invoke(main, ["client", "delete", "app"]).exit_code == 0
    assert runner.invoke(main, ["client", "delete", "app"]).exit_code == 1


def test_client_create_needs_a_known_scope(runner: CliRunner) -> None:
    assert runner.invoke(main, ["client", "create", "app"]).exit_code == 2
    assert runner.invoke(main, ["client", "create", "app", "--scope", "writhe"]).exit_code == 2
