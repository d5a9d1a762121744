"""The data dir is created 0700 and the database (with its WAL and SHM) and the secret key
0600, whatever the umask; an existing one that others can read gets a warning at start
(issue 20: ``tidings.db`` was 0644 in a 0755 directory)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tidings.cli import main
from tidings.core.bootstrap import secret_key
from tidings.storage.sqlite import SQLiteStorage


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    # The most permissive umask: whatever ends up private was made private on purpose.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_init_makes_the_data_dir_and_every_file_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        main, ["init"], env={"TIDINGS_DATA_DIR": str(data), "TIDINGS_ADMIN_PASSWORD": "x" * 12}
    )
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o700
    storage = SQLiteStorage(f"sqlite:///{data / 'tidings.db'}")
    storage.startup()
    try:
        storage.create_source("s", "k" * 64, None)  # a write, so the WAL and SHM exist
        files = sorted(p.name for p in data.iterdir())
        assert {"tidings.db", "tidings.db-wal", "tidings.db-shm", "secret_key"} <= set(files)
        for name in files:
            assert _mode(data / name) == 0o600, name
    finally:
        storage.shutdown()


@pytest.mark.usefixtures("open_umask")
def test_a_database_in_a_new_directory_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "db" / "t.db"
    storage = SQLiteStorage(f"sqlite:///{path}")
    storage.startup()
    storage.shutdown()
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600


def test_an_existing_database_open_to_others_is_warned_about_and_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.db"
    SQLiteStorage(f"sqlite:///{path}").startup()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="tidings"):
        storage = SQLiteStorage(f"sqlite:///{path}")
        storage.startup()
        storage.shutdown()
    assert _mode(path) == 0o644
    assert any(
        str(path) in r.getMessage() and "chmod 600" in r.getMessage() for r in caplog.records
    )


def test_an_open_data_dir_and_secret_key_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    secret_key(str(data), "")
    (data / "secret_key").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="tidings"):
        result = CliRunner().invoke(
            main,
            ["init"],
            env={"TIDINGS_DATA_DIR": str(data), "TIDINGS_ADMIN_PASSWORD": "x" * 12},
        )
    assert result.exit_code == 0, result.output
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert f"data directory {data} is readable" in messages
    assert "secret key file" in messages


def test_a_private_setup_starts_without_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tidings"):
        result = CliRunner().invoke(
            main,
            ["init"],
            env={"TIDINGS_DATA_DIR": str(tmp_path / "d"), "TIDINGS_ADMIN_PASSWORD": "x" * 12},
        )
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(
            main,
            ["init"],
            env={"TIDINGS_DATA_DIR": str(tmp_path / "d"), "TIDINGS_ADMIN_PASSWORD": "x" * 12},
        )
    assert result.exit_code == 0, result.output
    assert not [r for r in caplog.records if "readable by other" in r.getMessage()]
