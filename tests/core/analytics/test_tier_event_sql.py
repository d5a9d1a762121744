"""The tier answers the EventSQL contract exactly as the exact fallback does
(:class:`LoadedEvents`): every column, ``prop()`` for any key, the list filters, and the
``person`` column through aliases linked after the events were copied."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.analytics.tier import Tier
from tidings.core.event_sql import LoadedEvents
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import persons
from tidings.storage.sqlite import SQLiteStorage

BASE = 1_774_000_000_000_000
_namespaces = itertools.count()


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[SQLiteStorage, Tier, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = SQLiteStorage(f"sqlite:///{Path(tmp) / 'events.db'}")
        storage.startup()
        source = storage.create_source("web", "key", None)
        tier = Tier(storage, str(Path(tmp) / "analytics.duckdb"), "128MB", 1)
        yield storage, tier, source.id
        tier.stop()
        storage.shutdown()


keys = st.sampled_from(["path", "a/b", "x~y", "it's", "n", "emoji😀"])
values = st.one_of(
    st.sampled_from(["/a", "/b", "", "ü"]), st.integers(-2, 2), st.booleans(), st.none()
)
events_strategy = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.sampled_from([None, "", "u1", "u2"]),
        st.sampled_from([None, "", "a1", "a2", "a3"]),
        st.sampled_from([None, "s1"]),
        st.dictionaries(keys, values, max_size=3),
    ),
    max_size=40,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=events_strategy,
    links=st.lists(st.tuples(st.sampled_from(["a1", "a2", "a3"]), st.sampled_from(["u1", "u3"]))),
    applied=st.floats(0, 1),
    key=keys,
    prop_filter=st.one_of(st.none(), st.tuples(keys, st.sampled_from(["/a", "1", "true", ""]))),
    user_filter=st.sampled_from([None, "u1"]),
)
def test_tier_answers_like_the_exact_fallback(
    pair: tuple[SQLiteStorage, Tier, int],
    events: list[tuple[int, str | None, str | None, str | None, dict[str, object]]],
    links: list[tuple[str, str]],
    applied: float,
    key: str,
    prop_filter: tuple[str, str] | None,
    user_filter: str | None,
) -> None:
    storage, tier, source = pair
    namespace = f"ns{next(_namespaces)}"
    drafts = [
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
            session,
        )
        for ts, user, anon, session, props in events
    ]
    if drafts:
        storage.insert_batch(drafts)
    tier.catch_up(limit=int(applied * len(drafts)))
    # Links made after the events were copied still resolve their person.
    for alias, user in links:
        persons.identify(storage.engine, user, alias, {})
    flt = EventFilter(
        namespace=namespace,
        user_id=user_filter,
        props=() if prop_filter is None else (prop_filter,),
    )
    reference = LoadedEvents(storage)
    columns = (
        "id, source, namespace, name, ts, received_at, value, user_id, anonymous_id, "
        "session_id, person, properties"
    )
    rows = {}
    for name, provider in (("loaded", reference), ("tier", tier)):
        prop = provider.prop(key)
        rows[name] = (
            sorted(provider_fetch(provider, flt, f"SELECT {columns}, {prop} FROM events")),
            sorted(
                provider_fetch(
                    provider,
                    flt,
                    f"SELECT {prop} AS g, count(*), count(DISTINCT person) FROM events GROUP BY g",
                ),
                key=repr,
            ),
        )
    assert rows["tier"] == rows["loaded"]


def provider_fetch(
    provider: LoadedEvents | Tier, flt: EventFilter, sql: str
) -> list[tuple[object, ...]]:
    if isinstance(provider, Tier):
        return provider.fetch_sync(flt, sql)
    return provider._fetch(flt, sql, ())
