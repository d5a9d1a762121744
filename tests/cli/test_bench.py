"""``tidings bench`` runs the checkout's bench/ scripts; the Flask baseline stores what it acks."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from tidings.cli import main

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_quick_aggregate_prefills_then_checks_the_targets(tmp_path: Path) -> None:
    data = tmp_path / "agg"
    args = ["bench", "aggregate", "--quick", "--events", "2000", "--aggregate-dir", str(data)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (data / "prefilled").read_text() == "2000"
    assert "p95 day 2y raw (before)" in result.output
    assert "p95 day 2y sealed exact" in result.output
    assert "2-year raw-scan function" in result.output
    assert "2-year day buckets from rollups (count, avg)" in result.output


def test_bench_without_a_bench_folder_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "--bench-dir", str(tmp_path), "aggregate"])
    assert result.exit_code != 0


@pytest.fixture
def baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("BASELINE_DB", str(tmp_path / "base.db"))
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop("baseline_flask", None)
    import baseline_flask

    return baseline_flask


def test_baseline_inserts_one_row_per_request_and_refuses_bad_input(
    baseline: ModuleType, tmp_path: Path
) -> None:
    client = baseline.app.test_client()
    ok = client.post("/events", json={"namespace": "n", "name": "click", "value": 2})
    assert ok.status_code == 200 and ok.get_json()["id"] == 1
    bad = client.post("/events", json={"namespace": "n", "value": 2})
    assert bad.status_code == 400 and "name" in bad.get_json()["error"]
    assert (
        client.post("/events", json={"namespace": "n", "name": "x", "value": "a"}).status_code
        == 400
    )
    rows = sqlite3.connect(tmp_path / "base.db").execute(
        "SELECT namespace, name, value FROM events"
    )
    assert rows.fetchall() == [("n", "click", 2.0)]
