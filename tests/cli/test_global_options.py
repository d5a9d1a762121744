"""The global options work after the command's name too; every command names the database it
opened; only ``serve`` and ``init`` create a new installation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in (
        "TIDINGS_ADMIN_PASSWORD",
        "TIDINGS_DATABASE_URL",
        "TIDINGS_CONFIG",
        "TIDINGS_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_data_dir_after_a_nested_command_is_used(runner: CliRunner, tmp_path: Path) -> None:
    create_installation(tmp_path / "a")
    made = runner.invoke(main, ["source", "create", "web", "--data-dir", str(tmp_path / "a")])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["source", "list", "--json", "--data-dir", str(tmp_path / "a")])
    assert [s["name"] for s in json.loads(listed.stdout)] == ["web"]
    opened = f"tidings: database sqlite:///{tmp_path / 'a'}/tidings.db"
    assert listed.stderr.splitlines() == [opened]


def test_an_option_after_the_command_wins_over_the_same_before_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    create_installation(tmp_path / "after")
    before, after = str(tmp_path / "before"), str(tmp_path / "after")
    result = runner.invoke(main, ["--data-dir", before, "source", "list", "--data-dir", after])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "after") in result.stderr
    assert not (tmp_path / "before").exists()


def test_database_url_and_config_are_accepted_after_the_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    create_installation(tmp_path / "db")
    config = tmp_path / "tidings.toml"
    config.write_text(f'data_dir = "{tmp_path / "db"}"\n')
    by_config = runner.invoke(main, ["user", "list", "--config", str(config)])
    assert by_config.exit_code == 0, by_config.output
    url = f"sqlite:///{tmp_path / 'db' / 'tidings.db'}"
    by_url = runner.invoke(main, ["user", "list", "--database-url", url])
    assert by_url.exit_code == 0 and url in by_url.stderr


def test_a_command_refuses_to_create_a_new_installation(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    result = runner.invoke(main, ["source", "list", "--data-dir", str(missing)])
    assert result.exit_code == 1
    assert "no Tidings database" in result.stderr and "tidings init" in result.stderr
    assert not missing.exists()


def test_init_creates_an_installation_given_after_the_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    made = runner.invoke(main, ["init", "--data-dir", str(tmp_path / "new")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "new" / "tidings.db").exists()
    again = runner.invoke(main, ["user", "list", "--data-dir", str(tmp_path / "new")])
    assert again.exit_code == 0 and "admin" in again.stdout


def test_every_command_documents_the_global_options(runner: CliRunner) -> None:
    for args in (["serve"], ["source", "list"], ["export"], ["erase"]):
        shown = runner.invoke(main, [*args, "--help"]).stdout
        assert "--data-dir DIR" in shown and "--database-url URL" in shown, args


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["export"], ["[default: jsonl]", "csv: a header", "ISO 8601", "epoch seconds"]),
        (["import"], ["[default: auto]", "csv: `tidings export --format csv`"]),
        (["erase"], ["--dry-run", "--yes", '{"deleted": N, ...}', "ISO 8601"]),
        (["source", "create"], ['{"name", "write_key"}']),
        (["seal"], ['{"sealed", "seconds"}']),
        (["serve"], ["[default: 8000; env TIDINGS_PORT]", "[default: 127.0.0.1"]),
        ([], ["ISO 8601", "before or after the command"]),
    ],
)
def test_help_gives_defaults_and_formats(
    runner: CliRunner, args: list[str], wanted: list[str]
) -> None:
    shown = " ".join(runner.invoke(main, [*args, "--help"], terminal_width=200).stdout.split())
    for text in wanted:
        assert text in shown, (args, text)
