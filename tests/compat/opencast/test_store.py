"""Opencast entity tables on every engine: migrations, upserts that keep omitted fields,
host replacement, cascading deletes, the built-in source, records read from core events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, insert, text

from tests.services import postgres_url
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.store import RecordQuery
from tidings.storage import migrate
from tidings.storage.schema import events, metadata, streams


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        sqlite = create_engine(f"sqlite:///{tmp_path / 't.db'}")
        migrate.upgrade(sqlite)
        yield sqlite
        sqlite.dispose()
        return
    url = postgres_url().replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate.upgrade(pg)
        yield pg
    finally:
        pg.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_migration_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if "opencast" in repr(d)]
    assert ours == []


def test_upsert_keeps_omitted_columns_and_can_clear_explicitly(engine: Engine) -> None:
    first = tables.upsert_adopter(engine, "k", {"city": "Osnabrück", "contact_me": True})
    again = tables.upsert_adopter(engine, "k", {"country": "DE"})
    assert (again["city"], again["contact_me"], again["country"]) == ("Osnabrück", True, "DE")
    assert again["created"] == first["created"]
    assert again["updated"] >= first["updated"]
    cleared = tables.upsert_adopter(engine, "k", {"city": None})
    assert cleared["city"] is None
    assert tables.update_adopter(engine, "missing", {"city": "x"}) is None
    assert tables.get_adopter(engine, "missing") is None


def test_hosts_are_replaced_or_kept(engine: Engine) -> None:
    hosts = [{"hostname": "a", "cores": 4}, {"hostname": "b", "max_load": 2.5}]
    stat = tables.upsert_statistic(engine, "s", {"adopter_key": "k", "job_count": 3}, hosts)
    assert [h["hostname"] for h in stat["hosts"]] == ["a", "b"]
    kept = tables.upsert_statistic(engine, "s", {"job_count": 4}, None)
    assert (kept["job_count"], len(kept["hosts"])) == (4, 2)
    replaced = tables.upsert_statistic(engine, "s", {}, [{"hostname": "c"}])
    assert [h["hostname"] for h in replaced["hosts"]] == ["c"]
    assert tables.list_statistics(engine, 10, 0, adopter_key="k")[0]["hosts"][0]["hostname"] == "c"


def test_deleting_an_adopter_deletes_its_statistics_and_hosts(engine: Engine) -> None:
    tables.upsert_adopter(engine, "k", {})
    tables.upsert_statistic(engine, "s1", {"adopter_key": "k"}, [{"hostname": "a"}])
    tables.upsert_statistic(engine, "s2", {"adopter_key": "other"}, [{"hostname": "b"}])
    assert tables.delete_adopter(engine, "k") is True
    assert tables.delete_adopter(engine, "k") is False
    assert tables.get_statistic(engine, "s1") is None
    assert tables.get_statistic(engine, "s2") is not None
    with engine.connect() as conn:
        hosts = conn.execute(text("SELECT hostname FROM opencast_hosts")).scalars().all()
    assert hosts == ["b"]


def test_counts_group_adopters_and_versions(engine: Engine) -> None:
    for key, country in (("a", "DE"), ("b", "DE"), ("c", "CH")):
        tables.upsert_adopter(engine, key, {"country": country})
    tables.upsert_statistic(engine, "s", {"version": "16.5.0"}, None)
    assert tables.count_by(engine, "country") == [("DE", 2), ("CH", 1)]
    assert tables.count_by(engine, "version") == [("16.5.0", 1)]


def test_builtin_source_is_created_once_without_a_key(engine: Engine) -> None:
    first = tables.builtin_source_id(engine, "opencast")
    assert tables.builtin_source_id(engine, "opencast") == first
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key_hash FROM sources WHERE name = 'opencast'")).all()
    assert [tuple(r) for r in rows] == [(None,)]


def test_records_come_from_core_events_newest_first(engine: Engine) -> None:
    source = tables.builtin_source_id(engine, "opencast")
    with engine.begin() as conn:
        conn.execute(
            insert(streams),
            [
                {"id": 1, "source_id": source, "namespace": "opencast", "name": "error_event"},
                {"id": 2, "source_id": source, "namespace": "opencast", "name": "other"},
            ],
        )
        conn.execute(
            insert(events),
            [
                {
                    "id": i,
                    "source_id": source,
                    "stream_id": stream,
                    "ts": ts,
                    "received_at": 0,
                    "value": 1.0,
                    "message_id": f"m{i}",
                    "properties": f'{{"n": {i}}}',
                    "user_id": user,
                }
                for i, stream, ts, user in (
                    (1, 1, 300, "k"),
                    (2, 1, 100, "k"),
                    (3, 1, 200, "x"),
                    (4, 2, 900, "k"),
                )
            ],
        )

    def ids(wanted: RecordQuery) -> list[int]:
        return [r.id for r in tables.opencast_events(engine, source, wanted)]

    assert ids(RecordQuery("error_event")) == [1, 3, 2]
    assert ids(RecordQuery("error_event", adopter_key="k")) == [1, 2]
    assert ids(RecordQuery("error_event", limit=1, offset=1)) == [3]
    assert tables.opencast_events(engine, source, RecordQuery("error_event", event_id=4)) == []


def test_latest_statistic_per_adopter(engine: Engine) -> None:
    tables.upsert_statistic(engine, "old", {"adopter_key": "k", "version": "15"}, [])
    tables.upsert_statistic(engine, "new", {"adopter_key": "k", "version": "16"}, [{"cores": 2}])
    tables.upsert_statistic(engine, "x", {"adopter_key": "other"}, None)
    latest = tables.latest_statistics(engine, ["k", "nobody"])
    assert list(latest) == ["k"]
    assert (latest["k"]["statistic_key"], latest["k"]["hosts"][0]["cores"]) == ("new", 2)
    assert tables.latest_statistics(engine, []) == {}
