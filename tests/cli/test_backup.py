"""``tidings backup`` while the server runs, then ``tidings restore`` into a fresh
installation: every table holds the same rows and every API gives the same answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from starlette.testclient import TestClient

from tests.cli.installation import create_installation
from tests.conftest import ADMIN
from tests.services import postgres_schema
from tidings.app import create_app
from tidings.cli import main
from tidings.compat.microticks import sessions as microticks
from tidings.config import Settings
from tidings.core.auth import new_secret, secret_hash
from tidings.storage.transfer import tables

DAY = 86_400


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("TIDINGS_ADMIN_PASSWORD", "TIDINGS_DATABASE_URL", "TIDINGS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TIDINGS_DATA_DIR", raising=False)
    return CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("pg"))])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the origin's database URL, an empty one to restore into)."""
    if request.param == "sqlite":
        yield (
            f"sqlite:///{tmp_path / 'origin' / 'tidings.db'}",
            f"sqlite:///{tmp_path / 'restored' / 'tidings.db'}",
        )
        return
    with postgres_schema() as origin, postgres_schema() as restored:
        yield origin, restored


def _settings(tmp_path: Path, name: str, url: str) -> Settings:
    return Settings(data_dir=str(tmp_path / name), database_url=url, admin_password=ADMIN[1])


def _fill(client: TestClient) -> None:
    storage = client.app.state.runtime.storage  # type: ignore[attr-defined]
    key = new_secret("wk_")
    storage.create_source("web", secret_hash(key), None)
    events = [
        {
            "namespace": "shop",
            "name": ("buy", "view")[i % 2],
            "timestamp": 1_704_067_200 + i * DAY // 3,
            "value": i,
            "user_id": f"u{i % 5}",
            "properties": {"plan": ("free", "pro")[i % 3 == 0]},
            **({"message_id": f"m{i}"} if i % 4 else {}),
        }
        for i in range(60)
    ]
    answer = client.post("/api/v1/events", json={"events": events}, headers={"X-Write-Key": key})
    assert answer.status_code == 200, answer.text
    microticks.create_consumer(storage, "kiosk")


QUERIES = (
    "/api/v1/events?limit=1000",
    "/api/v1/events?limit=7&name=buy&user_id=u3",
    "/api/v1/aggregate?namespace=shop&name=buy&name=view&granularity=day"
    "&from=2024-01-01T00:00:00Z&to=2024-01-31T00:00:00Z",
    "/api/v1/aggregate?namespace=shop&name=buy&granularity=total&fn=sum",
    "/api/v1/aggregate?namespace=shop&name=view&granularity=week&fn=distinct_users"
    "&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z",
    "/api/v1/aggregate?namespace=shop&name=buy&granularity=total&fn=p90",
    "/api/v1/aggregate?namespace=shop&name=buy&granularity=day&group_by=prop.plan"
    "&from=2024-01-01T00:00:00Z&to=2024-01-31T00:00:00Z",
)


def _answers(settings: Settings) -> dict[str, Any]:
    with TestClient(create_app(settings)) as client:
        found = {}
        for query in QUERIES:
            answer = client.get(query, auth=ADMIN)
            assert answer.status_code == 200, answer.text
            found[query] = (answer.status_code, answer.json())
        return found


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
                for t in tables(engine)
            }
    finally:
        engine.dispose()


def test_a_backup_taken_while_serving_restores_every_row_and_every_answer(
    runner: CliRunner, tmp_path: Path, urls: tuple[str, str]
) -> None:
    origin_url, restored_url = urls
    origin = _settings(tmp_path, "origin", origin_url)
    file = tmp_path / "tidings.backup"
    at_origin = ["--data-dir", str(tmp_path / "origin"), "--database-url", origin_url]
    with TestClient(create_app(origin)) as client:
        _fill(client)
        made = runner.invoke(main, ["user", "create", "ann", "--password", "pw-of-ann", *at_origin])
        assert made.exit_code == 0, made.output
        token = runner.invoke(main, ["token", "create", "--user", "ann", *at_origin])
        assert token.exit_code == 0, token.output
        assert runner.invoke(main, ["seal", *at_origin]).exit_code == 0
        # The server is still running while the snapshot is taken.
        taken = runner.invoke(main, ["backup", str(file), *at_origin])
        assert taken.exit_code == 0, taken.output
        assert client.get("/readyz").status_code == 200
    assert "backed up to" in taken.stdout and file.is_file()
    again = runner.invoke(main, ["backup", str(file), *at_origin])
    assert again.exit_code == 1 and "exists" in again.stderr

    at_restored = ["--data-dir", str(tmp_path / "restored"), "--database-url", restored_url]
    put_back = runner.invoke(main, ["restore", str(file), *at_restored])
    assert put_back.exit_code == 0, put_back.output
    assert "restored 60 events" in put_back.stdout
    rows = _rows(origin_url)
    assert rows["day_stats"] and rows["api_tokens"] and rows["consumers"]
    assert _rows(restored_url) == rows
    restored = _settings(tmp_path, "restored", restored_url)
    assert _answers(restored) == _answers(origin)
    # A restore never merges into an installation that holds data.
    twice = runner.invoke(main, ["restore", str(file), *at_restored])
    assert twice.exit_code == 1 and "not empty" in twice.stderr


@pytest.mark.xdist_group("pg")
def test_a_backup_of_sqlite_restores_into_postgresql(runner: CliRunner, tmp_path: Path) -> None:
    create_installation(tmp_path / "origin")
    origin_url = f"sqlite:///{tmp_path / 'origin' / 'tidings.db'}"
    with TestClient(create_app(_settings(tmp_path, "origin", origin_url))) as client:
        _fill(client)
    file = tmp_path / "b.db"
    assert runner.invoke(main, ["backup", str(file), "--database-url", origin_url]).exit_code == 0
    with postgres_schema() as pg_url:
        result = runner.invoke(main, ["restore", str(file), "--database-url", pg_url])
        assert result.exit_code == 0, result.output
        origin = _settings(tmp_path, "origin", origin_url)
        assert _answers(_settings(tmp_path, "pg", pg_url)) == _answers(origin)


def test_restore_refuses_a_file_that_is_no_backup(runner: CliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text(json.dumps({"not": "a backup"}))
    result = runner.invoke(main, ["restore", str(bogus), "--data-dir", str(tmp_path / "new")])
    assert result.exit_code == 1 and "is not a Tidings backup" in result.stderr
    assert not (tmp_path / "new").exists()
