"""``tidings erase`` says what it would erase, asks before erasing, and has ``--dry-run``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage
from tidings.storage.base import Storage

T0 = 1_704_067_200_000_000


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("TIDINGS_ADMIN_PASSWORD", "TIDINGS_DATABASE_URL", "TIDINGS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIDINGS_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    create_installation(tmp_path / "data")
    found = open_storage(f"sqlite:///{tmp_path / 'data' / 'tidings.db'}")
    found.startup()
    src = found.create_source("web", "w" * 64, None).id
    found.insert_batch(
        [
            EventDraft(src, "a", "b", T0 + i, T0, 1.0, None, None, None, f"u{i % 2}", None, None)
            for i in range(10)
        ]
    )
    yield found
    found.shutdown()


def _left(storage: Storage) -> int:
    return len(storage.list_events(EventFilter(), 0, 100))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--name", "b", "--user-id", "u0"], "would erase 5 events\n"),
        (["--user-id", "u1"], "would erase 5 events (u1: 5) and 0 person records\n"),
    ],
)
def test_a_dry_run_says_what_would_go_and_erases_nothing(
    runner: CliRunner, storage: Storage, args: list[str], said: str
) -> None:
    result = runner.invoke(main, ["erase", *args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout == said
    as_json = json.loads(runner.invoke(main, ["erase", *args, "--dry-run", "--json"]).stdout)
    assert as_json["would_delete"] == 5
    assert _left(storage) == 10


def test_erase_asks_first_and_a_no_keeps_everything(runner: CliRunner, storage: Storage) -> None:
    refused = runner.invoke(main, ["erase", "--user-id", "u0"], input="n\n")
    assert refused.exit_code == 1
    assert "would erase 5 events (u0: 5)" in refused.stderr
    assert "Erase this person's events and records?" in refused.stderr
    assert _left(storage) == 10
    # No terminal to answer (a script): nothing is erased without --yes.
    unanswered = runner.invoke(main, ["erase", "--namespace", "a"])
    assert unanswered.exit_code == 1 and "--yes" in unanswered.stderr
    assert _left(storage) == 10
    agreed = runner.invoke(main, ["erase", "--user-id", "u0"], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert agreed.stdout.endswith("erased 5 events (u0: 5) and 0 person records\n")
    assert _left(storage) == 5


def test_nothing_to_erase_asks_nothing(runner: CliRunner, storage: Storage) -> None:
    result = runner.invoke(main, ["erase", "--user-id", "nobody"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "erased 0 events (nobody: 0) and 0 person records\n"
