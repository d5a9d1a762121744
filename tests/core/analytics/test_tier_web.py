"""The web summary answered by the tier, whose page view keys are promoted to columns, equals
the exact fallback's (:class:`LoadedEvents`) on random page views."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.analytics.tier import Tier
from tidings.core.event_sql import LoadedEvents
from tidings.core.product.web import PAGE_VIEW, WebQuery, web_summary
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.sqlite import SQLiteStorage

BASE = 1_774_000_000_000_000
MIN = 60_000_000
WEB_KEYS = ("path", "referrer", "utm_source", "browser", "os", "device")
_namespaces = itertools.count()


def _draft(
    source: int, namespace: str, ts: int, who: tuple[object, ...], props: object
) -> EventDraft:
    user, anonymous, session = who
    return EventDraft(
        source, namespace, PAGE_VIEW, BASE + ts, BASE + ts, 1.0,
        orjson.dumps(props).decode() if props else None, None, None, user, anonymous, session,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[SQLiteStorage, Tier, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = SQLiteStorage(f"sqlite:///{Path(tmp) / 'events.db'}")
        storage.startup()
        source = storage.create_source("web", "key", None).id
        tier = Tier(storage, str(Path(tmp) / "analytics.duckdb"), "128MB", 1)
        # Enough page views carrying every key for the tier to promote them all.
        warm = dict.fromkeys(WEB_KEYS, "x")
        storage.insert_batch(
            [_draft(source, "warm", i, ("u", None, "s"), warm) for i in range(2000)]
        )
        tier.catch_up()
        assert set(WEB_KEYS) <= set(tier.store.promoted)
        yield storage, tier, source
        tier.stop()
        storage.shutdown()


page_views = st.lists(
    st.tuples(
        st.integers(0, 120).map(lambda m: m * MIN),
        st.tuples(
            st.sampled_from([None, "u1", "u2"]),
            st.sampled_from([None, "a1", "a2"]),
            st.sampled_from([None, "s1", "s2", "s3"]),
        ),
        st.fixed_dictionaries(
            {},
            optional={key: st.sampled_from(["/", "/a", "b"]) for key in WEB_KEYS},
        ),
    ),
    max_size=30,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(views=page_views, applied=st.floats(0, 1))
def test_tier_web_summary_equals_the_exact_fallback(
    pair: tuple[SQLiteStorage, Tier, int],
    views: list[tuple[int, tuple[object, ...], dict[str, str]]],
    applied: float,
) -> None:
    storage, tier, source = pair
    namespace = f"ns{next(_namespaces)}"
    drafts = [_draft(source, namespace, ts, who, props) for ts, who, props in views]
    if drafts:
        storage.insert_batch(drafts)
    tier.catch_up(limit=int(applied * len(drafts)))
    flt = EventFilter(namespace=namespace, from_us=BASE, to_us=BASE + 3 * 60 * MIN)
    query = WebQuery(flt=flt, tz=ZoneInfo("UTC"), granularity="hour", limit=2)
    exact = asyncio.run(web_summary(LoadedEvents(storage), query))
    assert asyncio.run(web_summary(tier, query)) == exact
