"""Progress on stderr: a rich bar on a terminal; otherwise a plain line every few seconds
(also while one long call runs) and one when done."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.installation import create_installation
from tidings.cli import main, progress
from tidings.model.events import EventDraft
from tidings.storage import open_storage

T0 = 1_704_067_200_000_000


def test_without_a_terminal_a_line_per_interval_and_one_when_done(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress, "EVERY_S", 0.0)
    with progress.progress(4, "copying") as advance:
        advance(1)
        advance(3)
    lines = capsys.readouterr().err.splitlines()
    assert any(line.startswith("tidings: copying: running, 1/4 rows (25%), ") for line in lines)
    assert lines[-1].startswith("tidings: copying: done, 4/4 rows (100%), ")


def test_a_long_call_that_counts_nothing_still_shows_it_is_alive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress, "EVERY_S", 0.01)
    seen = ""
    with progress.progress(None, "sealing", "days"):
        deadline = time.monotonic() + 10
        while "running" not in seen and time.monotonic() < deadline:
            seen += capsys.readouterr().err
    assert "tidings: sealing: running, 0 days, " in seen


def test_on_a_terminal_a_rich_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    with progress.progress(10, "importing", "bytes") as advance:
        advance(10)
    shown = screen.getvalue()
    assert "importing" in shown and "10/10" in shown and "bytes" in shown


def test_export_and_import_report_their_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TIDINGS_ADMIN_PASSWORD", "TIDINGS_DATABASE_URL", "TIDINGS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIDINGS_DATA_DIR", str(tmp_path / "data"))
    create_installation(tmp_path / "data")
    storage = open_storage(f"sqlite:///{tmp_path / 'data' / 'tidings.db'}")
    storage.startup()
    src = storage.create_source("web", "w" * 64, None).id
    storage.insert_batch(
        [
            EventDraft(
                src, "a", "b", T0 + i, T0, 1.0, json.dumps({"i": i}), None, None, None, None, None
            )
            for i in range(2500)
        ]
    )
    storage.shutdown()
    runner = CliRunner()
    dump = tmp_path / "dump.jsonl"
    exported = runner.invoke(main, ["export", "-o", str(dump)])
    assert "tidings: exporting: done, 2,500/2,500 events (100%)" in exported.stderr
    imported = runner.invoke(main, ["import", str(dump)])
    size = dump.stat().st_size
    assert f"tidings: importing: done, {size:,}/{size:,} bytes (100%)" in imported.stderr
