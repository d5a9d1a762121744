"""The Parquet tier on real PostgreSQL answers the EventSQL contract exactly as the exact
fallback (:class:`LoadedEvents`) does, with an unapplied tail and after erasures; two tiers
sharing one directory write it from one process only; a crash leaves no half-applied state."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services import postgres_schema
from tidings.analytics import parquet
from tidings.core.aggregate import AggregateQuery, answer
from tidings.core.analytics.parquet_tier import ParquetTier
from tidings.core.event_sql import LoadedEvents
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage, persons
from tidings.storage.base import Storage

DAY = parquet.DAY_US
BASE = 1_774_000_000_000_000
_namespaces = itertools.count()
COLUMNS = (
    "id, source, namespace, name, ts, received_at, value, user_id, anonymous_id, "
    "session_id, person, properties"
)


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Storage, int, Path]]:
    with postgres_schema() as url:
        storage = open_storage(url)
        storage.startup()
        source = storage.create_source("web", "key", None)
        yield storage, source.id, tmp_path_factory.mktemp("parquet")
        storage.shutdown()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def drafts_of(
    source: int,
    namespace: str,
    events: list[tuple[int, str | None, str | None, dict[str, object]]],
) -> list[EventDraft]:
    return [
        EventDraft(
            source,
            namespace,
            "n",
            BASE + ts,
            BASE + ts,
            1.0,
            orjson.dumps(props).decode() if props else None,
            None,
            None,
            user,
            anon,
            None,
        )
        for ts, user, anon, props in events
    ]


def answers(
    provider: LoadedEvents | ParquetTier, flt: EventFilter, key: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    prop = provider.prop(key)
    statements = (
        f"SELECT {COLUMNS}, {prop} FROM events",
        f"SELECT {prop} AS g, count(*), count(DISTINCT person) FROM events GROUP BY g",
    )
    if isinstance(provider, ParquetTier):
        rows = [provider.fetch_sync(flt, sql) for sql in statements]
    else:
        rows = [provider._fetch(flt, sql, ()) for sql in statements]
    return sorted(rows[0]), sorted(rows[1], key=repr)


keys = st.sampled_from(["path", "a/b", "it's", "n"])
values = st.one_of(st.sampled_from(["/a", "/b", "", "ü"]), st.integers(-2, 2), st.booleans())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(
        st.tuples(
            # Up to three days, so a question spans several day files.
            st.integers(0, 3 * DAY),
            st.sampled_from([None, "", "u1", "u2"]),
            st.sampled_from([None, "a1", "a2"]),
            st.dictionaries(keys, values, max_size=3),
        ),
        max_size=30,
    ),
    tail=st.integers(0, 10),
    erase=st.sampled_from([None, "u1", "u2"]),
    links=st.lists(st.tuples(st.sampled_from(["a1", "a2"]), st.sampled_from(["u1", "u3"]))),
    key=keys,
    days=st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(1, 4))),
)
def test_parquet_tier_answers_like_the_exact_fallback(
    pg: tuple[Storage, int, Path],
    events: list[tuple[int, str | None, str | None, dict[str, object]]],
    tail: int,
    erase: str | None,
    links: list[tuple[str, str]],
    key: str,
    days: tuple[int, int] | None,
) -> None:
    storage, source, directory = pg
    tier = ParquetTier(storage, str(directory / "answers"), "128MB", 1)
    namespace = f"ns{next(_namespaces)}"
    applied, unapplied = events[: len(events) - tail], events[len(events) - tail :]
    if applied:
        storage.insert_batch(drafts_of(source, namespace, applied))
    tier.round()
    if unapplied:  # committed, not in the files: the tail answers for them
        storage.insert_batch(drafts_of(source, namespace, unapplied))
    if erase is not None:  # the files still hold the rows; reads leave them out
        storage.erase_person(user_id=erase)
    for alias, user in links:
        persons.identify(storage.engine, user, alias, {})
    flt = EventFilter(
        namespace=namespace,
        from_us=None if days is None else BASE + days[0] * DAY,
        to_us=None if days is None else BASE + days[1] * DAY,
    )
    expected = answers(LoadedEvents(storage), flt, key)
    assert answers(tier, flt, key) == expected
    # Once the deletes are rewritten into the files, from this process or by the check.
    tier.round()
    assert answers(tier, flt, key) == expected


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(
        st.tuples(
            st.integers(0, 3 * DAY),
            st.sampled_from([None, "u1", "u2"]),
            st.sampled_from([None, "a1"]),
            st.dictionaries(keys, values, max_size=2),
        ),
        max_size=25,
    ),
    tail=st.integers(0, 5),
    fn=st.sampled_from(["count", "sum", "distinct_users", "p50"]),
    group_by=st.sampled_from([None, "name", "prop.path", "prop.n"]),
    granularity=st.sampled_from(["hour", "day", "total"]),
)
def test_aggregates_through_the_parquet_tier_equal_the_raw_scan(
    pg: tuple[Storage, int, Path],
    events: list[tuple[int, str | None, str | None, dict[str, object]]],
    tail: int,
    fn: str,
    group_by: str | None,
    granularity: str,
) -> None:
    storage, source, directory = pg
    tier = ParquetTier(storage, str(directory / "aggregates"), "128MB", 1)
    namespace = f"ns{next(_namespaces)}"
    applied, unapplied = events[: len(events) - tail], events[len(events) - tail :]
    if applied:
        storage.insert_batch(drafts_of(source, namespace, applied))
    tier.round()
    if unapplied:
        storage.insert_batch(drafts_of(source, namespace, unapplied))
    query = AggregateQuery(
        flt=EventFilter(namespace=namespace, from_us=BASE, to_us=BASE + 3 * DAY + 1),
        granularity=granularity,
        fn=fn,
        group_by=group_by,
        limit=2 if group_by is not None else None,
    )
    assert answer(storage, query, tier) == answer(storage, query, None)


def test_deletes_by_another_process_reach_the_files(pg: tuple[Storage, int, Path]) -> None:
    storage, source, directory = pg
    writer = ParquetTier(storage, str(directory / "check"), "128MB", 1)
    namespace = f"ns{next(_namespaces)}"
    storage.insert_batch(
        drafts_of(
            source, namespace, [(i * DAY // 2, f"{namespace}-{i % 3}", None, {}) for i in range(12)]
        )
    )
    writer.round()
    # A delete this tier never heard of (another process's): the count check finds it.
    other = open_storage(storage.engine.url.render_as_string(hide_password=False))
    other.startup()
    try:
        other.erase_person(user_id=f"{namespace}-1")
    finally:
        other.shutdown()
    assert writer.check() == 4
    flt = EventFilter(namespace=namespace)
    sql = "SELECT count(*), count(DISTINCT user_id) FROM events"
    assert writer.fetch_sync(flt, sql) == [(8, 2)]
    assert LoadedEvents(storage)._fetch(flt, sql, ()) == [(8, 2)]


def test_two_tiers_sharing_a_directory_have_one_writer(pg: tuple[Storage, int, Path]) -> None:
    storage, source, directory = pg
    shared = str(directory / "shared")
    namespace = f"ns{next(_namespaces)}"
    # Two storages, as two processes have: the writer's pass is a database-wide lock.
    other = open_storage(storage.engine.url.render_as_string(hide_password=False))
    other.startup()
    one = ParquetTier(storage, shared, "128MB", 1)
    two = ParquetTier(other, shared, "128MB", 1)
    one.start()
    two.start()
    try:
        wait_for(lambda: one.writing or two.writing)
        storage.insert_batch(drafts_of(source, namespace, [(i, "u1", None, {}) for i in range(5)]))
        one.nudge()
        two.nudge()
        last = storage.list_events(EventFilter(namespace=namespace), 0, 10)[-1].id
        wait_for(lambda: parquet.read_manifest(shared).hwm >= last)
        assert one.writing != two.writing
        flt = EventFilter(namespace=namespace)
        for tier in (one, two):
            assert tier.fetch_sync(flt, "SELECT count(*) FROM events") == [(5,)]
        # The writer stops (its process ends): the other takes over the files.
        writer, reader = (one, two) if one.writing else (two, one)
        writer.stop()
        wait_for(lambda: reader.writing)
        storage.insert_batch(drafts_of(source, namespace, [(9, "u2", None, {})]))
        reader.nudge()
        wait_for(lambda: parquet.read_manifest(shared).hwm > last)
        assert reader.fetch_sync(flt, "SELECT count(*) FROM events") == [(6,)]
    finally:
        one.stop()
        two.stop()
        other.shutdown()
    assert not one.writing and not two.writing


def test_files_without_a_manifest_entry_are_ignored_then_collected(
    pg: tuple[Storage, int, Path],
) -> None:
    storage, source, directory = pg
    crashed = directory / "crashed"
    tier = ParquetTier(storage, str(crashed), "128MB", 1)
    namespace = f"ns{next(_namespaces)}"
    storage.insert_batch(drafts_of(source, namespace, [(i, "u1", None, {}) for i in range(3)]))
    tier.round()
    manifest = parquet.read_manifest(str(crashed))
    # A writer killed after writing a file, before the manifest: the file is not counted.
    orphan = crashed / "events" / "day=2026-03-20" / "part-1-2-dead.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes((crashed / manifest.parts[0].path).read_bytes())
    flt = EventFilter(namespace=namespace)
    assert tier.fetch_sync(flt, "SELECT count(*) FROM events") == [(3,)]
    files = parquet.ParquetFiles(str(crashed))
    assert files.collect_garbage() == 0  # a reader of the last manifest may still need it
    past = time.time() - parquet.GRACE - 1
    os.utime(orphan, (past, past))
    assert files.collect_garbage() == 1
    assert not orphan.exists()
