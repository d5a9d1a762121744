"""The ``tidings`` command line, run in process with click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main
from tidings.core.auth import secret_hash, verify_password
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


def test_source_create_prints_a_key_that_is_stored_hashed(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["source", "create", "web", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["name"] == "web" and created["write_key"].startswith("wk_")
    storage = _storage(tmp_path)
    source = storage.source_by_key_hash(secret_hash(created["write_key"]))
    assert source is not None and source.name == "web"
    listed = json.loads(runner.invoke(main, ["source", "list", "--json"]).stdout)
    assert [s["name"] for s in listed] == ["web"]
    assert runner.invoke(main, ["source", "create", "web"]).exit_code == 1
    assert runner.invoke(main, ["source", "delete", "web"]).exit_code == 0
    assert storage.source_by_key_hash(secret_hash(created["write_key"])) is None
    storage.shutdown()


def test_user_lifecycle(runner: CliRunner, tmp_path: Path) -> None:
    created = runner.invoke(
        main, ["user", "create", "ann", "--role", "admin", "--password", "long-enough", "--json"]
    )
    assert json.loads(created.stdout) == {"username": "ann", "role": "admin"}
    assert "ann" in runner.invoke(main, ["user", "list"]).stdout
    short = runner.invoke(main, ["user", "create", "bob", "--password", "short"])
    assert short.exit_code != 0 and "password" in short.output
    changed = runner.invoke(
        main, ["user", "set-password", "ann"], input="another-pass\nanother-pass\n"
    )
    assert changed.exit_code == 0, changed.output
    storage = _storage(tmp_path)
    user = storage.get_user("ann")
    assert user is not None and verify_password(user.password_hash, "another-pass")
    storage.shutdown()
    assert runner.invoke(main, ["user", "delete", "ann"]).exit_code == 0
    assert runner.invoke(main, ["user", "delete", "ann"]).exit_code == 1


def test_init_creates_admin_once_with_a_random_password(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0
    assert "Created user 'admin' with password:" in first.stderr
    password = first.stderr.split("password: ", 1)[1].split()[0]
    storage = _storage(tmp_path)
    admin = storage.get_user("admin")
    assert (
        admin is not None
        and admin.role == "admin"
        and verify_password(admin.password_hash, password)
    )
    storage.shutdown()
    assert "password" not in runner.invoke(main, ["init"]).stderr
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_config_fails_with_one_line_and_status_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_PORT", "not-a-port")
    result = runner.invoke(main, ["serve"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TIDINGS_PORT" in result.stderr


def test_family_lists_show_their_columns_in_order_with_iso_times(runner: CliRunner) -> None:
    runner.invoke(main, ["source", "create", "web", "--retention-days", "9"])
    runner.invoke(main, ["user", "create", "ann", "--password", "long-enough"])
    runner.invoke(main, ["consumer", "create", "kiosk"])
    columns = {
        "source": ["name", "retention_days", "created_at"],
        "user": ["username", "role", "created_at"],
        "consumer": ["id", "name", "created_at"],
    }
    for family, expected in columns.items():
        rows = json.loads(runner.invoke(main, [family, "list", "--json"]).stdout)
        assert rows and all(list(row) == expected for row in rows), (family, rows)
        assert all(row["created_at"].endswith("Z") for row in rows), (family, rows)
