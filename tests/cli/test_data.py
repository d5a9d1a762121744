"""``tidings export | import | migrate-data | prune | erase``."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.services import postgres_schema
from tidings.cli import main
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.transfer import rollup_totals, row_counts

DAY = 86_400_000_000
T0 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z


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
    yield engine
    engine.shutdown()


def _fill(storage: Storage, n: int = 30, source: str = "web") -> int:
    src = storage.create_source(source, source.ljust(64, "h"), None).id
    storage.insert_batch(
        [
            EventDraft(
                src,
                "shop",
                "buy" if i % 3 else "view",
                T0 + i * 3_600_000_000,
                T0,
                float(i),
                json.dumps({"i": i}),
                None,
                f"m{i}",
                f"u{i % 4}",
                None,
                None,
            )
            for i in range(n)
        ]
    )
    return src


def test_export_jsonl_with_filters(runner: CliRunner, storage: Storage) -> None:
    _fill(storage)
    result = runner.invoke(main, ["export", "--name", "view", "--from", "2024-01-01T10:00:00Z"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["message_id"] for e in lines] == [f"m{i}" for i in range(12, 30, 3)]
    assert lines[0]["properties"] == {"i": 12} and lines[0]["source"] == "web"


def test_export_csv_has_a_header_and_a_row_per_event(runner: CliRunner, storage: Storage) -> None:
    _fill(storage, 5)
    result = runner.invoke(main, ["export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["message_id"] for r in rows] == [f"m{i}" for i in range(5)]
    assert json.loads(rows[1]["properties"]) == {"i": 1}


def test_export_parquet_round_trips_the_columns(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    _fill(storage, 25)
    out = tmp_path / "events.parquet"
    result = runner.invoke(main, ["export", "--format", "parquet", "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 25
    assert table.column("message_id").to_pylist()[:2] == ["m0", "m1"]
    assert table.column("value").to_pylist()[24] == 24.0


def test_an_export_imports_back_and_a_second_import_stores_nothing(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    _fill(storage, 10)
    dump = tmp_path / "dump.jsonl"
    assert runner.invoke(main, ["export", "-o", str(dump)]).exit_code == 0
    runner.invoke(main, ["source", "create", "copy"])
    first = runner.invoke(main, ["import", str(dump), "--source", "copy"])
    assert first.exit_code == 0, first.output
    assert "imported 10 events, 0 duplicates" in first.stdout
    again = runner.invoke(main, ["import", str(dump), "--source", "copy"])
    assert "imported 0 events, 10 duplicates" in again.stdout
    copied = storage.list_events(EventFilter(source="copy"), 0, 100)
    assert [e.message_id for e in copied] == [f"m{i}" for i in range(10)]
    assert copied[3].timestamp == T0 + 3 * 3_600_000_000 and copied[3].user_id == "u3"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("pg"))])
def any_storage(
    request: pytest.FixtureRequest,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Storage]:
    """The storage the CLI opens, on each engine."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            (tmp_path / "data").mkdir()
            url = f"sqlite:///{tmp_path / 'data' / 'tidings.db'}"
        else:
            url = stack.enter_context(postgres_schema())
            monkeypatch.setenv("TIDINGS_DATABASE_URL", url)
        engine = open_storage(url)
        engine.startup()
        stack.callback(engine.shutdown)
        yield engine


def test_importing_an_export_into_its_own_source_stores_nothing_twice(
    runner: CliRunner, any_storage: Storage, tmp_path: Path
) -> None:
    src = any_storage.create_source("web", "w" * 64, None).id
    drafts = [
        EventDraft(src, "shop", "buy", T0 + i, T0 + i, 1.0, None, None, None, None, None, None)
        for i in range(4)
    ]
    any_storage.insert_batch(drafts)
    before = any_storage.list_events(EventFilter(), 0, 100)
    dump = tmp_path / "dump.jsonl"
    assert runner.invoke(main, ["export", "-o", str(dump)]).exit_code == 0
    again = runner.invoke(main, ["import", str(dump), "--source", "web"])
    assert again.exit_code == 0, again.output
    assert "imported 0 events, 4 duplicates" in again.stdout
    assert any_storage.list_events(EventFilter(), 0, 100) == before


def test_import_of_segment_and_event_tracking_lines(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    storage.create_source("logs", "l" * 64, None)
    lines = [
        {
            "type": "track",
            "event": "Signed Up",
            "messageId": "seg-1",
            "userId": "42",
            "timestamp": "2024-02-01T00:00:00Z",
            "properties": {"plan": "pro"},
        },
        {"type": "identify", "messageId": "seg-2", "userId": "42", "traits": {"a": 1}},
        {
            "name": "edx.video.played",
            "time": "2024-02-01T01:00:00+00:00",
            "data": {"id": "v1"},
            "context": {"user_id": 7},
        },
        {"event_type": "problem_check", "time": "2024-02-01T02:00:00Z", "event": '{"x": 1}'},
        {"type": "track", "messageId": "seg-bad"},
        "not an object",
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = runner.invoke(main, ["import", str(path), "--source", "logs"])
    assert result.exit_code == 1
    assert "imported 4 events, 0 duplicates skipped, 2 lines rejected" in result.stdout
    assert "line 5: event" in result.stderr
    events = storage.list_events(EventFilter(source="logs"), 0, 10)
    assert [(e.namespace, e.name, e.user_id) for e in events] == [
        ("segment", "Signed Up", "42"),
        ("segment", "identify", "42"),
        ("edx", "edx.video.played", "7"),
        ("edx", "problem_check", None),
    ]
    assert json.loads(events[3].properties or "{}") == {"x": 1}
    again = runner.invoke(main, ["import", str(path), "--source", "logs"])
    assert "imported 0 events, 4 duplicates" in again.stdout


def test_import_needs_a_known_source(runner: CliRunner, storage: Storage, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"namespace": "a", "name": "b"}\n')
    result = runner.invoke(main, ["import", str(path), "--source", "nope"])
    assert result.exit_code == 1 and "--source" in result.stderr


def test_prune_follows_source_and_global_retention(
    runner: CliRunner, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = storage.create_source("kept", "k" * 64, 100_000).id
    short = storage.create_source("short", "s" * 64, None).id
    drafts = [
        EventDraft(s, "ns", "n", T0, T0, 1.0, None, None, f"{s}-{i}", None, None, None)
        for s in (kept, short)
        for i in range(3)
    ]
    storage.insert_batch(drafts)
    assert json.loads(runner.invoke(main, ["prune", "--json"]).stdout) == {"deleted": 0}
    monkeypatch.setenv("TIDINGS_RETENTION_DAYS", "30")
    assert json.loads(runner.invoke(main, ["prune", "--json"]).stdout) == {"deleted": 3}
    left = storage.list_events(EventFilter(), 0, 10)
    assert {e.source for e in left} == {"kept"}


def test_erase_by_user_id(runner: CliRunner, storage: Storage) -> None:
    _fill(storage, 8)
    result = runner.invoke(main, ["erase", "--user-id", "u1", "--json", "--yes"])
    assert json.loads(result.stdout) == {"deleted": 2, "person_records": 0, "ids": {"u1": 2}}
    assert all(e.user_id != "u1" for e in storage.list_events(EventFilter(), 0, 100))
    assert runner.invoke(main, ["erase"]).exit_code == 2
    said = runner.invoke(main, ["erase", "--user-id", "u2", "--yes"]).stdout
    assert said == "erased 2 events (u2: 2) and 0 person records\n"


def test_erase_by_filters_deletes_only_the_matching_events(
    runner: CliRunner, storage: Storage
) -> None:
    _fill(storage, 12)  # names: view at i % 3 == 0, buy otherwise; users u0..u3
    result = runner.invoke(main, ["erase", "--name", "view", "--user-id", "u0", "--json", "-y"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"deleted": 1}  # i = 0 (i = 12 is out of range)
    result = runner.invoke(main, ["erase", "--prop", "i=5", "--json", "-y"])
    assert json.loads(result.stdout) == {"deleted": 1}
    until = T0 + 2 * 3_600_000_000  # i < 2: i = 0 already gone, so only i = 1
    result = runner.invoke(main, ["erase", "--to", str(until), "--json", "-y"])
    assert json.loads(result.stdout) == {"deleted": 1}
    left = sorted(
        json.loads(e.properties or "{}")["i"] for e in storage.list_events(EventFilter(), 0, 100)
    )
    assert left == [2, 3, 4, 6, 7, 8, 9, 10, 11]


@pytest.mark.parametrize(
    "args",
    [
        ["erase", "--namespace", " "],
        ["erase", "--prop", "i"],
        ["erase", "--prop", "=5"],
        ["erase", "--anonymous-id", "a1", "--name", "view"],
        ["erase", "--from", "yesterday-ish"],
    ],
)
def test_erase_refuses_filters_that_would_widen_or_cannot_be_read(
    runner: CliRunner, storage: Storage, args: list[str]
) -> None:
    _fill(storage, 6)
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert len(storage.list_events(EventFilter(), 0, 100)) == 6


def test_migrate_data_sqlite_to_postgresql_and_back(
    runner: CliRunner, storage: Storage, tmp_path: Path
) -> None:
    src = _fill(storage, 297)
    # Events without a client id store none; their derived ids must read the same after.
    storage.insert_batch(
        [
            EventDraft(src, "a", "b", T0, T0 + i, 1, None, None, None, None, None, None)
            for i in range(3)
        ]
    )
    storage.create_user("ann", "hash", "admin")
    sqlite_url = f"sqlite:///{tmp_path / 'data' / 'tidings.db'}"
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    with postgres_schema() as pg_url:
        there = runner.invoke(main, ["migrate-data", "--from", sqlite_url, "--to", pg_url])
        assert there.exit_code == 0, there.output
        assert "copied 300 events" in there.stdout
        back = runner.invoke(main, ["migrate-data", "--from", pg_url, "--to", back_url])
        assert back.exit_code == 0, back.output
        refused = runner.invoke(main, ["migrate-data", "--from", sqlite_url, "--to", pg_url])
        assert refused.exit_code == 1 and "not empty" in refused.stderr
        pg = open_storage(pg_url)
        pg.startup()
        try:
            assert row_counts(pg.engine) == row_counts(storage.engine)
            assert rollup_totals(pg.engine) == rollup_totals(storage.engine)
            with pg.engine.connect() as conn:
                unnamed = "SELECT count(*) FROM events WHERE message_id IS NULL"
                assert conn.exec_driver_sql(unnamed).scalar() == 3
            # New events continue after the copied ids, in every table.
            src = pg.list_sources()[0].id
            new = pg.insert_batch(
                [EventDraft(src, "a", "b", T0, T0, 1, None, None, "x", None, None, None)]
            )
            assert new[0].id > 300
            assert pg.create_source("fresh", "f" * 64, None).id > src
        finally:
            pg.shutdown()
    restored = open_storage(back_url)
    restored.startup()
    try:
        assert row_counts(restored.engine) == row_counts(storage.engine)
        original = storage.list_events(EventFilter(), 0, 1000)
        assert restored.list_events(EventFilter(), 0, 1000) == original
    finally:
        restored.shutdown()


def test_source_update_sets_and_clears_retention(runner: CliRunner, storage: Storage) -> None:
    storage.create_source("web", "w" * 64, None)
    assert runner.invoke(main, ["source", "update", "web", "--retention-days", "7"]).exit_code == 0
    assert [s.retention_days for s in storage.list_sources()] == [7]
    assert runner.invoke(main, ["source", "update", "web", "--retention-days", "0"]).exit_code == 0
    assert [s.retention_days for s in storage.list_sources()] == [None]
    missing = runner.invoke(main, ["source", "update", "nope", "--retention-days", "1"])
    assert missing.exit_code == 1
