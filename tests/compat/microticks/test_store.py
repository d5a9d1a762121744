"""Microticks entity tables in portable Core, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, text

from tests.services import postgres_url
from tidings.compat.microticks import queries
from tidings.compat.microticks import store as db
from tidings.compat.microticks.queries import ListQuery, SessionFilter
from tidings.errors import Conflict
from tidings.model.timeparse import parse_timestamp
from tidings.storage import migrate
from tidings.storage.schema import events, streams


def _pg_engine() -> Iterator[Engine]:
    url = postgres_url().replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("pg"))])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        migrate.upgrade(made)
        yield made
        made.dispose()
        return
    for made in _pg_engine():
        migrate.upgrade(made)
        yield made


def _ts(text_ts: str) -> int:
    return parse_timestamp(text_ts)


def _event(engine: Engine, event_id: int, source_id: int, session: str, name: str, ts: str) -> None:
    """A core event as the writer would store it (the writer itself is engine-specific)."""
    with engine.begin() as conn:
        stream = conn.execute(
            text("SELECT id FROM streams WHERE source_id = :s AND name = :n"),
            {"s": source_id, "n": name},
        ).scalar()
        if stream is None:
            stream = conn.execute(
                insert(streams).values(source_id=source_id, namespace=db.NAMESPACE, name=name)
            ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            insert(events).values(
                id=event_id,
                source_id=source_id,
                stream_id=stream,
                ts=_ts(ts),
                received_at=_ts(ts),
                value=1.0,
                message_id=f"m{event_id}",
                session_id=session,
            )
        )


def test_consumers_sessions_and_figures(engine: Engine) -> None:
    lib = db.create_consumer(engine, "lib", "a" * 64)
    kiosk = db.create_consumer(engine, "kiosk", "b" * 64)
    with pytest.raises(Conflict):
        db.create_consumer(engine, "lib", "c" * 64)
    assert [c.name for c in db.list_consumers(engine)] == ["kiosk", "lib"]
    first = db.create_session(
        engine,
        consumer_id=lib.id,
        public_id="p-1",
        token_hash="1" * 64,
        ip="10.0.0.1",
        started_at=_ts("2017-08-25T10:00:00Z"),
    )
    second = db.create_session(
        engine,
        consumer_id=kiosk.id,
        public_id="p-2",
        token_hash="2" * 64,
        ip="10.0.0.2",
        started_at=_ts("2017-08-26T10:00:00Z"),
    )
    _event(engine, 1, lib.source_id, "p-1", "click", "2017-08-25T10:00:01Z")
    _event(engine, 2, lib.source_id, "p-1", "scroll", "2017-08-25T10:00:05Z")
    _event(engine, 3, lib.source_id, "p-1", "click", "2017-08-25T10:00:03Z")

    ref = db.session_by_token_hash(engine, "1" * 64)
    assert ref is not None and (ref.id, ref.public_id, ref.source_id) == (
        first,
        "p-1",
        lib.source_id,
    )
    assert db.stop_session(engine, first, _ts("2017-08-25T10:01:00Z"))
    assert not db.stop_session(engine, first, _ts("2017-08-25T10:02:00Z"))

    rows = queries.list_sessions(engine, ListQuery(SessionFilter(), (("clicks", True),), 10, 0))
    assert [(r.id, r.clicks, r.events, r.last_action) for r in rows] == [
        (first, 2, 3, _ts("2017-08-25T10:00:05Z")),
        (second, 0, 0, None),
    ]
    only_kiosk = queries.list_sessions(
        engine, ListQuery(SessionFilter(consumer=str(kiosk.id)), (), 10, 0)
    )
    assert [r.id for r in only_kiosk] == [second]
    by_ip = queries.list_events(
        engine, ListQuery(SessionFilter(ip="10.0.0.1"), (("time", True),), 10, 0)
    )
    assert [(r.id, r.action) for r in by_ip] == [(2, "scroll"), (3, "click"), (1, "click")]
    day = SessionFilter(
        started_from=_ts("2017-08-26T00:00:00Z"), started_to=_ts("2017-08-27T00:00:00Z")
    )
    assert queries.list_events(engine, ListQuery(day, (), 10, 0)) == []
    paged = queries.list_events(engine, ListQuery(SessionFilter(), (("action", False),), 2, 1))
    assert [r.id for r in paged] == [3, 2]

    assert db.delete_consumer(engine, "lib")
    assert not db.delete_consumer(engine, "lib")
    ref = db.session_by_token_hash(engine, "1" * 64)
    assert ref is not None and not ref.consumer_active
    # Soft delete frees the name; the old key still finds the inactive consumer.
    db.create_consumer(engine, "lib", "d" * 64)
    old = db.consumer_by_key_hash(engine, "a" * 64)
    assert old is not None and not old.active


def test_unknown_sort_column_never_reaches_sql(engine: Engine) -> None:
    with pytest.raises(KeyError):
        queries.list_events(engine, ListQuery(SessionFilter(), (("(SELECT 1)", False),), 10, 0))
