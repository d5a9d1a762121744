"""``tidings consumer create|list|delete``, run in process with click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main
from tidings.compat.microticks import store as db
from tidings.core.auth import secret_hash
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


def test_create_prints_the_key_once_and_stores_its_hash(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["consumer", "create", "lib", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["name"] == "lib" and len(created["key"]) == 32
    storage = _storage(tmp_path)
    found = db.consumer_by_key_hash(storage.engine, secret_hash(created["key"]))
    assert found is not None and found.name == "lib" and found.active
    # The consumer is also the source its events arrive with.
    assert [s.name for s in storage.list_sources()] == ["lib"]
    storage.shutdown()
    text = runner.invoke(main, ["consumer", "create", "kiosk"])
    assert text.exit_code == 0
    assert text.stdout.startswith('Created new consumer "kiosk"\nConsumer key (shown once): ')


def test_list_and_soft_delete(runner: CliRunner, tmp_path: Path) -> None:
    key = json.loads(runner.invoke(main, ["consumer", "create", "lib", "--json"]).stdout)["key"]
    listed = json.loads(runner.invoke(main, ["consumer", "list", "--json"]).stdout)
    assert [(c["id"], c["name"]) for c in listed] == [(1, "lib")]
    assert runner.invoke(main, ["consumer", "delete", "lib"]).exit_code == 0
    assert json.loads(runner.invoke(main, ["consumer", "list", "--json"]).stdout) == []
    storage = _storage(tmp_path)
    deleted = db.consumer_by_key_hash(storage.engine, secret_hash(key))
    assert deleted is not None and not deleted.active
    assert storage.list_sources() == []
    storage.shutdown()
    missing = runner.invoke(main, ["consumer", "delete", "lib"])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    # The name is free again once the old consumer is gone.
    assert runner.invoke(main, ["consumer", "create", "lib"]).exit_code == 0


def test_names_are_checked_and_unique_among_sources(runner: CliRunner) -> None:
    assert runner.invoke(main, ["consumer", "create", "lib"]).exit_code == 0
    duplicate = runner.invoke(main, ["consumer", "create", "lib"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    assert runner.invoke(main, ["source", "create", "web"]).exit_code == 0
    clash = runner.invoke(main, ["consumer", "create", "web"])
    assert clash.exit_code == 1 and "already exists" in clash.stderr
    bad = runner.invoke(main, ["consumer", "create", "no spaces"])
    assert bad.exit_code == 2 and "name" in bad.stderr
