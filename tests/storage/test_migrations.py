"""Migrations on every engine: the result matches schema.py, 0008 (nullable message ids)
keeps every stored event and message id both ways, and 0010 moves de-duplication to the
windowed message_ids table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, Index, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

import tidings.compat  # noqa: F401  (every slice registers its own tables on the metadata)
from tests.services import postgres_schema
from tidings.compat.microticks import store as microticks
from tidings.model.ids import derived_message_id
from tidings.storage import migrate
from tidings.storage.dedup import DAY_US
from tidings.storage.schema import events, metadata

T = 1_700_000_000_000_000
assert microticks.ix_events_session in events.indexes  # declared beside the microticks tables


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("pg"))])
def bare(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database: each test migrates it as far as it needs."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema() as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        yield engine
        engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = migrate.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _store(engine: Engine, rows: list[tuple[int, str | None, str | None, str | None]]) -> None:
    """Events as the writer stores them: (id, message_id, user_id, session_id)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (id, source_id, stream_id, ts, received_at, value, "
                "message_id, user_id, session_id) VALUES (:id, 1, 1, :id, :at, 1.0, :m, :u, :s)"
            ),
            [{"id": i, "at": T + i * 1000, "m": m, "u": u, "s": s} for i, m, u, s in rows],
        )


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT id, received_at, message_id, user_id, session_id "
                    "FROM events ORDER BY id"
                )
            )
        ]


def _where(options: dict[str, Any]) -> str | None:
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return None if where is None else str(where).strip("()")


def _indexes(engine: Engine) -> dict[str, tuple[list[str], bool, str | None]]:
    found = inspect(engine).get_indexes("events")
    return {
        str(ix["name"]): (
            list(ix["column_names"]),
            bool(ix["unique"]),
            _where(ix["dialect_options"]),
        )
        for ix in found
        if "duplicates_constraint" not in ix  # PostgreSQL's index behind uq_events_message
    }


def _declared(index: Index) -> tuple[list[str], bool, str | None]:
    options = {f"{d}_where": index.dialect_options[d]["where"] for d in ("sqlite", "postgresql")}
    return [c.name for c in index.columns], bool(index.unique), _where(options)


def test_the_migrations_create_exactly_the_declared_schema(bare: Engine) -> None:
    migrate.upgrade(bare)
    with bare.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert _indexes(bare) == {str(ix.name): _declared(ix) for ix in events.indexes}


def test_upgrading_a_0007_database_keeps_every_event_and_its_message_id(bare: Engine) -> None:
    migrate.upgrade(bare, "0007")
    rows = [
        (i, f"m-{i}", f"u{i}" if i % 2 else None, "s" if i % 3 else None) for i in range(1, 301)
    ]
    _store(bare, rows)
    before = _stored(bare)
    migrate.upgrade(bare, "0008")
    assert _stored(bare) == before
    columns = {c["name"]: c for c in inspect(bare).get_columns("events")}
    assert columns["message_id"]["nullable"]
    assert [u["column_names"] for u in inspect(bare).get_unique_constraints("events")] == [
        ["source_id", "message_id"]
    ]
    # Nothing else is lost: a repeated client id is still refused, and a NULL one is allowed.
    with pytest.raises(IntegrityError):
        _store(bare, [(1000, "m-1", None, None)])
    _store(bare, [(1001, None, None, None), (1002, None, None, None)])


def test_downgrading_stores_the_derived_ids_readers_saw(bare: Engine) -> None:
    migrate.upgrade(bare)
    _store(bare, [(1, "client-id", None, None), (2, None, "u", None), (3, None, None, "s")])
    _downgrade(bare, "0007")
    assert [row[2] for row in _stored(bare)] == [
        "client-id",
        derived_message_id(2, T + 2000),
        derived_message_id(3, T + 3000),
    ]
    columns = {c["name"]: c for c in inspect(bare).get_columns("events")}
    assert not columns["message_id"]["nullable"]
    assert set(_indexes(bare)) == {str(ix.name) for ix in events.indexes}
    migrate.upgrade(bare)
    assert len(_stored(bare)) == 3


def test_upgrading_to_the_window_keeps_events_and_remembers_recent_client_ids(
    bare: Engine,
) -> None:
    migrate.upgrade(bare, "0008")
    now = time.time_ns() // 1000
    recent, old = now - 3 * DAY_US, now - 60 * DAY_US
    with bare.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (id, source_id, stream_id, ts, received_at, value, "
                "message_id) VALUES (:id, 1, 1, :at, :at, 1.0, :m)"
            ),
            [
                {"id": 1, "at": recent, "m": "recent"},
                {"id": 2, "at": old, "m": "old"},
                {"id": 3, "at": recent, "m": None},
            ],
        )
    before = _stored(bare)
    migrate.upgrade(bare)
    assert _stored(bare) == before
    assert inspect(bare).get_unique_constraints("events") == []
    assert _indexes(bare) == {str(ix.name): _declared(ix) for ix in events.indexes}
    with bare.connect() as conn:
        remembered = conn.execute(
            text("SELECT day, source_id, message_id, event_id FROM message_ids")
        ).all()
    assert [tuple(r) for r in remembered] == [(recent // DAY_US, 1, "recent", 1)]
    # The unique index comes back on the way down (no id was stored twice meanwhile).
    _downgrade(bare, "0008")
    assert _stored(bare) == before
    assert [u["column_names"] for u in inspect(bare).get_unique_constraints("events")] == [
        ["source_id", "message_id"]
    ]
    assert "message_ids" not in inspect(bare).get_table_names()
