"""LoadedEvents, the exact fallback of the analytics questions: the ``events`` relation holds
exactly the events matching the filter, each with its resolved person, and ``prop()`` reads
a property as the list filters compare it."""

from __future__ import annotations

import asyncio
import itertools
import random

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.storage.test_contract import draft
from tidings.core.event_sql import LoadedEvents
from tidings.core.query import iter_all
from tidings.model.records import EventFilter
from tidings.storage import persons
from tidings.storage.sqlite import SQLiteStorage

T = 1_780_000_000_000_000
_examples = itertools.count()
COLUMNS = (
    "id, source, namespace, name, ts, received_at, value, user_id, anonymous_id, session_id, "
    "person, properties"
)


def test_prop_reads_values_as_the_list_filters_compare_them(shared_storage: SQLiteStorage) -> None:
    src = shared_storage.create_source("props", "q".ljust(64, "k"), None).id
    values = [None, True, False, 1, 1.5, "s", "", [1, 2], {"a": 1}]
    shared_storage.insert_batch(
        [
            draft(
                src,
                T + i,
                f"prop-{i}",
                namespace="props",
                properties=orjson.dumps({"k": v, "a/b~'c": i}).decode(),
            )
            for i, v in enumerate(values)
        ]
    )
    loaded = LoadedEvents(shared_storage)
    flt = EventFilter(namespace="props")
    rows = asyncio.run(
        loaded.fetch(
            flt, f"SELECT {loaded.prop('k')}, {loaded.prop('''a/b~'c''')} FROM events ORDER BY ts"
        )
    )
    assert [r[0] for r in rows] == [None, "true", "false", "1", "1.5", "s", "", "[1,2]", '{"a":1}']
    assert [r[1] for r in rows] == [str(i) for i in range(len(values))]
    for text in ("true", "1", "1.5", "s", "[1,2]"):
        listed = [
            e.id
            for e in iter_all(shared_storage, EventFilter(namespace="props", props=(("k", text),)))
        ]
        held = asyncio.run(
            loaded.fetch(flt, f"SELECT id FROM events WHERE {loaded.prop('k')} = ?", [text])
        )
        assert [r[0] for r in held] == listed, text


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), size=st.integers(0, 12_000))
def test_the_relation_is_the_filtered_events_with_their_persons(
    shared_storage: SQLiteStorage, seed: int, size: int
) -> None:
    rng = random.Random(seed)
    ns = f"rel{next(_examples)}"
    src = shared_storage.create_source(ns, ns.ljust(64, "k"), None).id
    persons.identify(shared_storage.engine, f"{ns}-u1", f"{ns}-a1", {})
    drafts = [
        draft(
            src,
            T + rng.randrange(1000),
            f"{ns}-{i}",
            namespace=ns,
            name=rng.choice("xy"),
            value=rng.choice([1.0, 2.5]),
            user_id=rng.choice([None, f"{ns}-u1", f"{ns}-u2"]),
            anonymous_id=rng.choice([None, f"{ns}-a1", f"{ns}-a2"]),
            session_id=rng.choice([None, "s"]),
            properties=rng.choice([None, '{"k": "v"}']),
        )
        for i in range(size % 7000)
    ]
    shared_storage.insert_batch(drafts)
    flt = EventFilter(namespace=ns, names=("x",), from_us=T + 100, to_us=T + 900)
    held = asyncio.run(
        LoadedEvents(shared_storage).fetch(flt, f"SELECT {COLUMNS} FROM events ORDER BY id")
    )
    links = {f"{ns}-a1": f"{ns}-u1"}
    expected = [
        (
            e.id,
            e.source,
            e.namespace,
            e.name,
            e.timestamp,
            e.received_at,
            e.value,
            e.user_id,
            e.anonymous_id,
            e.session_id,
            e.user_id
            or (links.get(e.anonymous_id) or f"anon:{e.anonymous_id}" if e.anonymous_id else None),
            e.properties,
        )
        for e in iter_all(shared_storage, flt)
    ]
    assert held == expected
