"""``tidings analytics rebuild``: the tier built afresh from the stored events; refused
while another process (a running server) holds it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tidings.cli import main
from tidings.core.analytics.tier import Tier, tier_path
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
    (tmp_path / "data").mkdir()
    engine = open_storage(f"sqlite:///{tmp_path / 'data' / 'tidings.db'}")
    engine.startup()
    src = engine.create_source("web", "w".ljust(64, "h"), None).id
    engine.insert_batch(
        [
            EventDraft(
                src,
                "shop",
                "buy",
                T0 + i,
                T0,
                1.0,
                json.dumps({"i": i % 3}),
                None,
                None,
                f"u{i % 4}",
                None,
                None,
            )
            for i in range(250)
        ]
    )
    yield engine
    engine.shutdown()


def test_rebuild_copies_every_stored_event(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["analytics", "rebuild", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"events": 250}
    tier = Tier(storage, tier_path(str(tmp_path / "data")))
    try:
        assert tier.store.hwm() == 250
        assert tier.fetch_sync(EventFilter(), "SELECT count(*) FROM events") == [(250,)]
    finally:
        tier.stop()


def test_rebuild_is_refused_while_the_tier_is_held(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    import subprocess
    import sys

    holder = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "sys.stdin.read()"
    )
    path = tier_path(str(tmp_path / "data"))
    with subprocess.Popen(
        [sys.executable, "-c", holder, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        assert other.stdout is not None and other.stdin is not None
        assert other.stdout.readline().strip() == "held"
        result = runner.invoke(main, ["analytics", "rebuild"])
        other.stdin.close()
        other.wait()
    assert result.exit_code == 1
    assert "in use" in result.output


def test_rebuild_with_postgresql_says_how_to_rebuild_the_parquet_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    env = {
        "TIDINGS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "TIDINGS_ANALYTICS_DIR": str(tmp_path / "shared"),
    }
    result = runner.invoke(main, ["analytics", "rebuild"], env=env)
    assert result.exit_code == 1
    assert "TIDINGS_ANALYTICS_DIR" in result.output
    assert not (tmp_path / "shared").exists()
