"""Retention answers exactly: crafted cohorts (time zones, Monday weeks, months, range edges,
identity links) and random events against a brute force."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.product import brute
from tests.core.product.brute import Raw
from tests.core.product.helpers import ask, provider, store
from tidings.core.product.retention import RetentionQuery, cohort_start, retention
from tidings.core.product.steps import EventKind
from tidings.model.records import EventFilter
from tidings.model.timeparse import parse_timestamp
from tidings.storage import persons
from tidings.storage.base import Storage

DAY = 86_400_000_000
_spaces = itertools.count()
BERLIN = ZoneInfo("Europe/Berlin")


def at(iso: str) -> int:
    return parse_timestamp(iso)


@pytest.fixture(scope="module")
def src(shared_storage: Storage) -> int:
    return shared_storage.create_source("retention", "r".ljust(64, "k"), None).id


def run(
    storage: Storage, ns: str, query: RetentionQuery, lo: int = 0, hi: int = 2**62
) -> dict[str, object]:
    return ask(retention(provider(storage), EventFilter(namespace=ns, from_us=lo, to_us=hi), query))


def test_weekly_cohorts_start_monday_in_the_time_zone(shared_storage: Storage, src: int) -> None:
    ns = f"w{next(_spaces)}"
    store(
        shared_storage,
        src,
        [
            # Sunday 23:30 UTC is Monday 00:30 in Berlin: week of Monday 2026-03-02 there.
            Raw(at("2026-03-01T23:30:00Z"), ns, "signup", "a"),
            Raw(at("2026-03-09T10:00:00Z"), ns, "login", "a"),  # week 1
            Raw(at("2026-03-10T10:00:00Z"), ns, "login", "a"),  # week 1 again: counted once
            Raw(at("2026-03-23T10:00:00Z"), ns, "login", "a"),  # week 3
            Raw(at("2026-03-04T10:00:00Z"), ns, "signup", "b"),
            Raw(at("2026-03-04T11:00:00Z"), ns, "login", "b"),  # same week: not a return
            Raw(at("2026-03-12T10:00:00Z"), ns, "login", "b"),  # week 1
            Raw(at("2026-03-12T10:00:00Z"), ns, "login", "nobody"),  # never started
        ],
    )
    query = RetentionQuery(
        EventKind(ns, "signup"), EventKind(ns, "login"), period="week", periods=4, tz=BERLIN
    )
    assert run(shared_storage, ns, query) == {
        "period": "week",
        "cohorts": [{"start": "2026-03-02T00:00:00+01:00", "size": 2, "returned": [2, 2, 0, 1]}],
    }
    utc = RetentionQuery(EventKind(ns, "signup"), EventKind(ns, "login"), "week", 4)
    assert [c["start"] for c in run(shared_storage, ns, utc)["cohorts"]] == [  # type: ignore[union-attr]
        "2026-02-23T00:00:00+00:00",
        "2026-03-02T00:00:00+00:00",
    ]


def test_months_days_links_and_range_edges(shared_storage: Storage, src: int) -> None:
    ns = f"m{next(_spaces)}"
    persons.identify(shared_storage.engine, f"{ns}-u", f"{ns}-x", {})
    store(
        shared_storage,
        src,
        [
            Raw(at("2026-01-31T12:00:00Z"), ns, "start", anonymous_id=f"{ns}-x"),
            Raw(at("2026-02-01T00:00:00Z"), ns, "back", f"{ns}-u"),  # next month, by the link
            Raw(at("2026-04-30T00:00:00Z"), ns, "back", f"{ns}-u"),  # at `to`: outside
            Raw(at("2026-01-30T12:00:00Z"), ns, "start", "early"),  # before `from`
            Raw(at("2026-02-15T12:00:00Z"), ns, "start", "early"),  # first start in range
        ],
    )
    lo, hi = at("2026-01-31T00:00:00Z"), at("2026-04-30T00:00:00Z")
    months = RetentionQuery(EventKind(ns, "start"), EventKind(ns, "back"), "month", 3)
    assert run(shared_storage, ns, months, lo, hi)["cohorts"] == [
        {"start": "2026-01-01T00:00:00+00:00", "size": 1, "returned": [1, 1, 0]},
        {"start": "2026-02-01T00:00:00+00:00", "size": 1, "returned": [1, 0, 0]},
    ]
    days = RetentionQuery(EventKind(ns, "start"), EventKind(ns, "back"), "day", 2)
    assert run(shared_storage, ns, days, lo, hi)["cohorts"][0] == {  # type: ignore[index]
        "start": "2026-01-31T00:00:00+00:00",
        "size": 1,
        "returned": [1, 1],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    events=st.lists(
        st.tuples(
            st.integers(0, 120 * 24),  # hours after the origin
            st.sampled_from(["s", "r"]),
            st.sampled_from([None, "u0", "u1", "u2", "u3"]),
            st.sampled_from([None, "x0", "x1"]),
        ),
        max_size=40,
    ),
    links=st.lists(st.tuples(st.sampled_from(["x0", "x1"]), st.sampled_from(["u0", "u1"]))),
    period=st.sampled_from(["day", "week", "month"]),
    periods=st.integers(1, 10),
    tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    same=st.booleans(),
)
def test_random_retention_equals_the_brute_force(
    shared_storage: Storage,
    src: int,
    events: list[tuple[int, str, str | None, str | None]],
    links: list[tuple[str, str]],
    period: str,
    periods: int,
    tz: str,
    same: bool,
) -> None:
    ns = f"q{next(_spaces)}"
    origin = at("2026-02-20T05:00:00Z")
    raw = [
        Raw(
            origin + h * 3_600_000_000,
            ns,
            n,
            f"{ns}-{u}" if u else None,
            f"{ns}-{a}" if a else None,
        )
        for h, n, u, a in events
    ]
    linked: dict[str, str] = {}
    for anon, user in links:
        persons.identify(shared_storage.engine, f"{ns}-{user}", f"{ns}-{anon}", {})
        linked[f"{ns}-{anon}"] = f"{ns}-{user}"
    store(shared_storage, src, raw)
    zone = ZoneInfo(tz)
    start, back = EventKind(ns, "s"), EventKind(ns, "s" if same else "r")
    lo, hi = origin + 5 * DAY, origin + 100 * DAY
    inside = [e for e in raw if lo <= e.ts < hi]
    expected = brute.retention(inside, start, back, period, periods, zone, linked)
    got = run(shared_storage, ns, RetentionQuery(start, back, period, periods, zone), lo, hi)
    assert got == {
        "period": period,
        "cohorts": [
            {"start": cohort_start(c, zone), "size": v[0], "returned": v}
            for c, v in sorted(expected.items())
        ],
    }
    assert all(isinstance(c, datetime) for c in expected)
