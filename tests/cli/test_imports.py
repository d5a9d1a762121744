"""``tidings import``: an export (JSON lines or CSV) imports back as it was, sources and
receipt times kept; a re-import stores nothing; identical lines stay distinct events."""

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
from tidings.model.wire import event_dict
from tidings.storage import open_storage
from tidings.storage.base import Storage

T0 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
HOUR = 3_600_000_000


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("TIDINGS_ADMIN_PASSWORD", "TIDINGS_DATABASE_URL", "TIDINGS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TIDINGS_DATA_DIR", raising=False)
    return CliRunner()


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Storage]:
    """An installation with two sources, events with and without client message ids."""
    create_installation(tmp_path / "origin")
    storage = open_storage(f"sqlite:///{tmp_path / 'origin' / 'tidings.db'}")
    storage.startup()
    for offset, name in enumerate(("web", "app")):
        src = storage.create_source(name, name.ljust(64, "h"), None).id
        storage.insert_batch(
            [
                EventDraft(
                    src,
                    "shop",
                    "buy",
                    T0 + i * HOUR,
                    T0 + i * HOUR + 5 + offset,
                    float(i),
                    json.dumps({"i": i, "tag": "a,b\nc"}),
                    None,
                    f"{name}-{i}" if i % 2 else None,
                    f"u{i % 3}",
                    None,
                    None,
                )
                for i in range(12)
            ]
        )
    yield storage
    storage.shutdown()


def _events(storage: Storage) -> list[dict[str, object]]:
    found = storage.list_events(EventFilter(), 0, 1000)
    return sorted(
        ({k: v for k, v in event_dict(e).items() if k != "id"} for e in found),
        key=lambda e: (str(e["source"]), str(e["message_id"])),
    )


def _fresh(tmp_path: Path, name: str) -> Storage:
    create_installation(tmp_path / name)
    storage = open_storage(f"sqlite:///{tmp_path / name / 'tidings.db'}")
    storage.startup()
    return storage


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_export_imports_into_a_fresh_installation_as_it_was(
    runner: CliRunner, origin: Storage, tmp_path: Path, fmt: str
) -> None:
    dump = tmp_path / f"dump.{fmt}"
    exported = runner.invoke(
        main, ["export", "--format", fmt, "-o", str(dump), "--data-dir", str(tmp_path / "origin")]
    )
    assert exported.exit_code == 0, exported.output
    fresh = _fresh(tmp_path, "fresh")
    try:
        result = runner.invoke(main, ["import", str(dump), "--data-dir", str(tmp_path / "fresh")])
        assert result.exit_code == 0, result.output
        assert "imported 24 events, 0 duplicates" in result.stdout
        assert "created source 'web'; write key (shown once): wk_" in result.stderr
        assert sorted(s.name for s in fresh.list_sources()) == ["app", "web"]
        assert _events(fresh) == _events(origin)
    finally:
        fresh.shutdown()


def test_a_reimport_into_the_installation_it_came_from_stores_nothing(
    runner: CliRunner, origin: Storage, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    home = ["--data-dir", str(tmp_path / "origin")]
    assert runner.invoke(main, ["export", "-o", str(dump), *home]).exit_code == 0
    again = runner.invoke(main, ["import", str(dump), *home])
    assert again.exit_code == 0, again.output
    assert "imported 0 events, 24 duplicates skipped" in again.stdout
    assert len(origin.list_events(EventFilter(), 0, 1000)) == 24


def test_identical_lines_without_a_message_id_are_distinct_events(
    runner: CliRunner, tmp_path: Path
) -> None:
    fresh = _fresh(tmp_path, "fresh")
    fresh.create_source("web", "w".ljust(64, "h"), None)
    line = json.dumps({"namespace": "app", "name": "click", "timestamp": "2024-01-01T00:00:00Z"})
    log = tmp_path / "log.jsonl"
    log.write_text(f"{line}\n{line}\n{line}\n")
    args = ["import", str(log), "--source", "web", "--data-dir", str(tmp_path / "fresh")]
    try:
        first = runner.invoke(main, args)
        assert "imported 3 events, 0 duplicates" in first.stdout, first.output
        again = runner.invoke(main, args)
        assert "imported 0 events, 3 duplicates" in again.stdout, again.output
        assert len(fresh.list_events(EventFilter(), 0, 10)) == 3
    finally:
        fresh.shutdown()


def test_a_line_without_a_source_needs_the_source_option(runner: CliRunner, tmp_path: Path) -> None:
    _fresh(tmp_path, "fresh").shutdown()
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"namespace": "app", "name": "click"}) + "\n")
    result = runner.invoke(main, ["import", str(log), "--data-dir", str(tmp_path / "fresh")])
    assert result.exit_code == 1
    assert "line 1: source: the line names no source; give --source" in result.stderr


def test_a_csv_with_another_header_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    _fresh(tmp_path, "fresh").shutdown()
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    args = ["import", str(table), "--format", "csv", "--data-dir", str(tmp_path / "fresh")]
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and "header" in result.stderr
