"""Every aggregate path (rollups, sealed days, raw scans, the analytics tier with and
without an unapplied tail) equals a brute-force computation over the raw events, grouped
with ``limit`` and ``"(other)"``, after late events and erasure too."""

from __future__ import annotations

import bisect
import itertools
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core import sealing
from tidings.core.aggregate import MAX_BUCKETS, AggregateQuery, answer
from tidings.core.analytics.tier import Tier
from tidings.core.buckets import boundaries, label
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.sqlite import SQLiteStorage

HOUR = 3_600_000_000
BASE = 1_774_000_000_000_000  # 2026-03-20, a week before Europe's DST change
SPAN = {"hour": 40 * HOUR, "day": 24 * 20 * HOUR, "month": 24 * 100 * HOUR, "total": 24 * HOUR}
FUNCTIONS = ["count", "sum", "avg", "min", "max", "distinct_users", "p50", "p95"]
GROUPS = [None, "name", "source", "namespace", "prop.path", "prop.n"]
_namespaces = itertools.count()


@dataclass(frozen=True)
class World:
    storage: SQLiteStorage
    tier: Tier
    sources: dict[int, str]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = SQLiteStorage(f"sqlite:///{Path(tmp) / 'events.db'}")
        storage.startup()
        web = storage.create_source("web", "key-web", None)
        app = storage.create_source("app", "key-app", None)
        tier = Tier(storage, str(Path(tmp) / "analytics.duckdb"), "128MB", 1)
        # No feeder thread: each example decides how much of the tail the copy holds.
        yield World(storage, tier, {web.id: "web", app.id: "app"})
        tier.stop()
        storage.shutdown()


@dataclass(frozen=True)
class Ev:
    source: str
    namespace: str
    name: str
    ts: int
    value: float
    user: str | None
    anon: str | None
    props: dict[str, object]


def _rendered(props: dict[str, object], key: str) -> str | None:
    value = props.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _group(ev: Ev, group_by: str | None) -> str | None:
    if group_by is None:
        return None
    if group_by.startswith("prop."):
        return _rendered(ev.props, group_by[5:])
    return str(getattr(ev, group_by))


def _fn(fn: str, evs: Sequence[Ev]) -> float:
    values = [e.value for e in evs]
    if fn == "count":
        return len(values)
    if fn == "sum":
        return sum(values)
    if fn == "avg":
        return sum(values) / len(values)
    if fn == "min":
        return min(values)
    if fn == "max":
        return max(values)
    if fn == "distinct_users":
        people = {e.user or (f"anonymous:{e.anon}" if e.anon else None) for e in evs}
        return len(people - {None})
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(fn[1:]) - 1]


def brute_force(
    events: Sequence[Ev], query: AggregateQuery, edges: list[int]
) -> tuple[dict[tuple[str | None, str | None], tuple[int, float]], int | None]:
    flt = query.flt
    assert flt.from_us is not None and flt.to_us is not None
    kept = [
        e
        for e in events
        if flt.from_us <= e.ts < flt.to_us
        and (flt.namespace is None or e.namespace == flt.namespace)
        and all(_rendered(e.props, k) == v for k, v in flt.props)
    ]
    totals: dict[str | None, int] = {}
    for e in kept:
        g = _group(e, query.group_by)
        totals[g] = totals.get(g, 0) + 1
    ranked = sorted(totals, key=lambda g: (-totals[g], g is None, g or ""))
    top = set(ranked if query.limit is None else ranked[: query.limit])
    cells: dict[tuple[str | None, str | None], list[Ev]] = {}
    for e in kept:
        index = 0 if query.granularity == "total" else bisect.bisect_right(edges, e.ts) - 1
        start = label(flt.from_us if query.granularity == "total" else edges[index], query.tz)
        g = _group(e, query.group_by)
        cells.setdefault((start, g if g in top else "(other)"), []).append(e)
    out = {key: (len(evs), _fn(query.fn, evs)) for key, evs in cells.items()}
    return out, (len(totals) if query.group_by is not None else None)


prop_values = st.one_of(
    st.sampled_from(["/a", "/b", "/c", "/d", "x'y", "ü"]), st.integers(0, 3), st.booleans()
)
events_strategy = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.integers(-20, 20).map(lambda v: v / 2),
        st.sampled_from([None, "ann", "bob", "cy"]),
        st.sampled_from([None, "a1", "a2"]),
        st.sampled_from(["view", "click", "buy"]),
        st.booleans(),  # second source
        st.dictionaries(st.sampled_from(["path", "n", "other"]), prop_values, max_size=3),
    ),
    max_size=50,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=events_strategy,
    late=events_strategy,
    granularity=st.sampled_from(sorted(SPAN)),
    fn=st.sampled_from(FUNCTIONS),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu"]),
    group_by=st.sampled_from(GROUPS),
    limit=st.sampled_from([None, 1, 2, 3, 50]),
    prop_filter=st.sampled_from([None, ("path", "/a"), ("n", "1"), ("n", "true")]),
    applied=st.floats(0, 1),
    erase=st.sampled_from([None, "ann", "bob"]),
    seal_first=st.booleans(),
    window=st.tuples(st.floats(-0.1, 1.1), st.floats(-0.1, 1.1)),
)
def test_every_aggregate_path_equals_brute_force(
    world: World,
    events: list[tuple[float, float, str | None, str | None, str, bool, dict[str, object]]],
    late: list[tuple[float, float, str | None, str | None, str, bool, dict[str, object]]],
    granularity: str,
    fn: str,
    zone: str,
    group_by: str | None,
    limit: int | None,
    prop_filter: tuple[str, str] | None,
    applied: float,
    erase: str | None,
    seal_first: bool,
    window: tuple[float, float],
) -> None:
    namespace = f"ns{next(_namespaces)}"
    span = SPAN[granularity]
    ids = {name: sid for sid, name in world.sources.items()}
    stored: list[Ev] = []

    def insert(
        batch: list[tuple[float, float, str | None, str | None, str, bool, dict[str, object]]],
    ) -> None:
        drafts = []
        for pos, value, user, anon, name, second, props in batch:
            ts = BASE + int(pos * span)
            ev = Ev("app" if second else "web", namespace, name, ts, value, user, anon, props)
            stored.append(ev)
            drafts.append(
                EventDraft(
                    ids[ev.source],
                    namespace,
                    name,
                    ts,
                    ts,
                    value,
                    orjson.dumps(props).decode() if props else None,
                    None,
                    None,
                    user,
                    anon,
                    None,
                )
            )
        if drafts:
            world.storage.insert_batch(drafts)

    insert(events)
    world.tier.catch_up()
    if seal_first:
        sealing.seal(world.storage)
    # Late events (times anywhere in the span, ids after the rest), partly applied: the
    # rest is the unapplied tail the tier must read from the system of record.
    insert(late)
    world.tier.catch_up(limit=int(applied * len(late)))
    if erase is not None:
        world.storage.erase_linked(user_id=erase)
        stored = [e for e in stored if e.user != erase]
    lo, hi = sorted(BASE + int(w * span) for w in window)
    hi += lo == hi
    tz = ZoneInfo(zone)
    query = AggregateQuery(
        flt=EventFilter(
            namespace=namespace,
            from_us=lo,
            to_us=hi,
            props=() if prop_filter is None else (prop_filter,),
        ),
        granularity=granularity,
        fn=fn,
        tz=tz,
        group_by=group_by,
        limit=limit if group_by is not None else None,
    )
    edges = [lo, hi] if granularity == "total" else boundaries(lo, hi, granularity, tz, MAX_BUCKETS)
    expected, groups_total = brute_force(stored, query, edges)
    for tier in (world.tier, None):
        buckets, total = answer(world.storage, query, tier)
        got = {(b.start, b.group): (b.count, b.value) for b in buckets}
        assert sorted(got, key=str) == sorted(expected, key=str), tier
        for key, (count, value) in expected.items():
            assert got[key][0] == count, (key, tier)
            assert got[key][1] == pytest.approx(value), (key, tier)
        assert total == groups_total
