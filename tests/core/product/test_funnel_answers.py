"""Funnels answer exactly: crafted cases with known answers (order, window edges, repeated
steps, identity links, sessions, range edges) and random events against a brute force."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.product import brute
from tests.core.product.brute import Raw
from tests.core.product.helpers import ask, provider, store
from tidings.core.product.funnel import FunnelQuery, funnel
from tidings.core.product.steps import EventKind
from tidings.model.records import EventFilter
from tidings.storage import persons
from tidings.storage.base import Storage

S = 1_000_000
T0 = 1_780_000_000 * S
_spaces = itertools.count()


@pytest.fixture(scope="module")
def src(shared_storage: Storage) -> int:
    return shared_storage.create_source("funnel", "f".ljust(64, "k"), None).id


@pytest.fixture
def ns() -> Iterator[str]:
    yield f"f{next(_spaces)}"


def steps(ns: str, *names: str) -> tuple[EventKind, ...]:
    return tuple(EventKind(ns, n) for n in names)


def run(
    storage: Storage, ns: str, query: FunnelQuery, lo: int = 0, hi: int = 2**62
) -> list[tuple[int, float | None]]:
    flt = EventFilter(namespace=ns, from_us=lo, to_us=hi)
    answer = ask(funnel(provider(storage), flt, query))
    return [(s["count"], s["median_seconds"]) for s in answer["steps"]]


def test_steps_count_only_in_order(shared_storage: Storage, src: int, ns: str) -> None:
    store(
        shared_storage,
        src,
        [
            # a: in order; b: step 2 before step 1 (out of order, never converts);
            # c: steps 1, 3, 2, 3: the 3 before 2 does not count, the later one does.
            Raw(T0, ns, "view", "a"),
            Raw(T0 + 10 * S, ns, "cart", "a"),
            Raw(T0 + 30 * S, ns, "buy", "a"),
            Raw(T0, ns, "cart", "b"),
            Raw(T0 + 5 * S, ns, "view", "b"),
            Raw(T0, ns, "view", "c"),
            Raw(T0 + 1 * S, ns, "buy", "c"),
            Raw(T0 + 2 * S, ns, "cart", "c"),
            Raw(T0 + 40 * S, ns, "buy", "c"),
        ],
    )
    got = run(shared_storage, ns, FunnelQuery(steps(ns, "view", "cart", "buy")))
    # Step 3 medians: a 30 s, c 40 s -> 35 s (the mean of the middle two of an even count).
    assert got == [(3, None), (2, 6.0), (2, 35.0)]


def test_window_is_inclusive_and_anchored_at_the_first_step(
    shared_storage: Storage, src: int, ns: str
) -> None:
    store(
        shared_storage,
        src,
        [
            Raw(T0, ns, "a", "exact"),
            Raw(T0 + 60 * S, ns, "b", "exact"),  # exactly the window: counts
            Raw(T0, ns, "a", "late"),
            Raw(T0 + 60 * S + 1, ns, "b", "late"),  # one microsecond over
            # The first step-1 event anchors: a later step 1 does not restart the window.
            Raw(T0, ns, "a", "again"),
            Raw(T0 + 100 * S, ns, "a", "again"),
            Raw(T0 + 110 * S, ns, "b", "again"),
        ],
    )
    assert run(shared_storage, ns, FunnelQuery(steps(ns, "a", "b"), window=60)) == [
        (3, None),
        (1, 60.0),
    ]


def test_repeated_steps_need_distinct_later_events(
    shared_storage: Storage, src: int, ns: str
) -> None:
    store(
        shared_storage,
        src,
        [
            Raw(T0, ns, "view", "once"),
            Raw(T0, ns, "view", "same-instant"),
            Raw(T0, ns, "view", "same-instant"),  # not strictly after: no second step
            Raw(T0, ns, "view", "thrice"),
            Raw(T0 + S, ns, "view", "thrice"),
            Raw(T0 + 3 * S, ns, "view", "thrice"),
        ],
    )
    got = run(shared_storage, ns, FunnelQuery(steps(ns, "view", "view", "view")))
    assert got == [(3, None), (1, 1.0), (1, 3.0)]


def test_step_filters_and_identity_links(shared_storage: Storage, src: int, ns: str) -> None:
    persons.identify(shared_storage.engine, f"{ns}-user", f"{ns}-anon", {})
    store(
        shared_storage,
        src,
        [
            # Anonymous first, identified later: one person across both ids.
            Raw(T0, ns, "land", anonymous_id=f"{ns}-anon", props={"utm": "ad"}),
            Raw(T0 + 20 * S, ns, "signup", f"{ns}-user"),
            # Another visitor lands from elsewhere: not step 1 with the filter.
            Raw(T0, ns, "land", anonymous_id=f"{ns}-other", props={"utm": "mail"}),
            Raw(T0 + S, ns, "signup", anonymous_id=f"{ns}-other"),
        ],
    )
    land, signup = steps(ns, "land", "signup")
    query = FunnelQuery((EventKind(ns, "land", (("utm", "ad"),)), signup))
    assert run(shared_storage, ns, query) == [(1, None), (1, 20.0)]
    assert run(shared_storage, ns, FunnelQuery((land, signup))) == [(2, None), (2, 10.5)]


def test_by_session_follows_session_ids(shared_storage: Storage, src: int, ns: str) -> None:
    store(
        shared_storage,
        src,
        [
            Raw(T0, ns, "a", "u", session_id="s1"),
            Raw(T0 + S, ns, "b", "u", session_id="s2"),  # same person, other session
            Raw(T0, ns, "a", "v", session_id="s3"),
            Raw(T0 + 2 * S, ns, "b", "v", session_id="s3"),
            Raw(T0 + 2 * S, ns, "b", "w"),  # no session: not counted by session
        ],
    )
    q = steps(ns, "a", "b")
    assert run(shared_storage, ns, FunnelQuery(q, by="session")) == [(2, None), (1, 2.0)]
    assert run(shared_storage, ns, FunnelQuery(q, by="person")) == [(2, None), (2, 1.5)]


def test_every_step_lies_in_the_range(shared_storage: Storage, src: int, ns: str) -> None:
    store(
        shared_storage,
        src,
        [
            Raw(T0 - 1, ns, "a", "early"),  # step 1 before the range
            Raw(T0 + S, ns, "a", "early"),
            Raw(T0 + 2 * S, ns, "b", "early"),
            Raw(T0, ns, "a", "edge"),
            Raw(T0 + 10 * S, ns, "b", "edge"),  # at `to`: excluded
        ],
    )
    got = run(shared_storage, ns, FunnelQuery(steps(ns, "a", "b")), T0, T0 + 10 * S)
    # "early" is anchored at its first step 1 inside the range.
    assert got == [(2, None), (1, 1.0)]


NAMES = ("a", "b", "c")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Raw], list[tuple[str, str]], tuple[str, ...], int]:
    n = draw(st.integers(1, 40))
    events = [
        Raw(
            T0 + draw(st.integers(0, 30)) * S,
            "",
            draw(st.sampled_from(NAMES)),
            draw(st.sampled_from([None, "u0", "u1", "u2"])),
            draw(st.sampled_from([None, "x0", "x1", "x2"])),
            draw(st.sampled_from([None, "s0", "s1"])),
            draw(st.sampled_from([{}, {"k": "1"}, {"k": "2"}])),
        )
        for _ in range(n)
    ]
    links = draw(st.lists(st.tuples(st.sampled_from(["x0", "x1"]), st.sampled_from(["u0", "u1"]))))
    chosen = tuple(draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=4)))
    window = draw(st.sampled_from([0, 1, 5, 10, 86_400]))
    return events, links, chosen, window


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=scenarios(), by=st.sampled_from(["person", "session"]), filtered=st.booleans())
def test_random_funnels_equal_the_brute_force(
    shared_storage: Storage,
    src: int,
    case: tuple[list[Raw], list[tuple[str, str]], tuple[str, ...], int],
    by: str,
    filtered: bool,
) -> None:
    events, links, names, window = case
    ns = f"r{next(_spaces)}"

    def scoped(i: str | None) -> str | None:
        return f"{ns}-{i}" if i else None

    events = [
        Raw(
            e.ts,
            ns,
            e.name,
            scoped(e.user_id),
            scoped(e.anonymous_id),
            scoped(e.session_id),
            e.props,
        )
        for e in events
    ]
    linked: dict[str, str] = {}
    for anon, user in links:
        persons.identify(shared_storage.engine, scoped(user), scoped(anon), {})
        linked[f"{ns}-{anon}"] = f"{ns}-{user}"
    store(shared_storage, src, events)
    kinds = [EventKind(ns, n) for n in names]
    if filtered:
        kinds[1] = EventKind(ns, names[1], (("k", "1"),))
    lo, hi = T0 + 3 * S, T0 + 27 * S
    inside = [e for e in events if lo <= e.ts < hi]
    expected = brute.funnel(inside, kinds, window, by, linked)
    assert run(shared_storage, ns, FunnelQuery(tuple(kinds), window, by), lo, hi) == expected
