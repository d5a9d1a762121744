"""People answer exactly: ids, traits, activity and search of crafted persons (anonymous then
identified), and random persons against a brute force, page by page."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.product import brute
from tests.core.product.brute import Raw
from tests.core.product.helpers import ask, provider, store
from tidings.core.product.persons import PersonsQuery, get_person, latest_events, list_persons
from tidings.errors import Invalid
from tidings.model.records import EventFilter
from tidings.model.timeparse import to_iso
from tidings.storage import persons
from tidings.storage.base import Storage

S = 1_000_000
T0 = 1_780_000_000 * S
_spaces = itertools.count()


@pytest.fixture(scope="module")
def src(shared_storage: Storage) -> int:
    return shared_storage.create_source("persons", "p".ljust(64, "k"), None).id


def everyone(storage: Storage, ns: str, query: PersonsQuery, lo: int = 0) -> dict[str, Any]:
    flt = EventFilter(namespace=ns, from_us=lo, to_us=2**62)
    return ask(list_persons(provider(storage), storage, flt, query))


def test_anonymous_then_identified_is_one_person(shared_storage: Storage, src: int) -> None:
    ns = f"c{next(_spaces)}"
    user, anon, stranger = f"{ns}-Ada", f"{ns}-cookie", f"{ns}-drifter"
    store(shared_storage, src, [Raw(T0, ns, "view", anonymous_id=anon)])
    persons.identify(shared_storage.engine, user, anon, {"email": "ada@Example.org", "age": 36})
    persons.identify(shared_storage.engine, None, stranger, {"plan": "trial"})
    store(
        shared_storage,
        src,
        [
            Raw(T0 + S, ns, "identify", user, anon),
            Raw(T0 + 2 * S, ns, "buy", user, session_id="s"),
            Raw(T0 + 5 * S, ns, "view", anonymous_id=stranger),
        ],
    )
    page = everyone(shared_storage, ns, PersonsQuery())
    assert page == {
        "persons": [
            {
                "person": f"anon:{stranger}",
                "user_id": None,
                "anonymous_ids": [stranger],
                "traits": {"plan": "trial"},
                "first_seen": to_iso(T0 + 5 * S),
                "last_seen": to_iso(T0 + 5 * S),
                "events": 1,
            },
            {
                "person": user,
                "user_id": user,
                "anonymous_ids": [anon],
                "traits": {"email": "ada@Example.org", "age": 36},
                "first_seen": to_iso(T0),
                "last_seen": to_iso(T0 + 2 * S),
                "events": 3,
            },
        ],
        "next": None,
    }
    found = [p["person"] for p in everyone(shared_storage, ns, PersonsQuery("EXAMPLE"))["persons"]]
    assert found == [user]  # a trait value, any case
    assert [p["person"] for p in everyone(shared_storage, ns, PersonsQuery("cook"))["persons"]] == [
        user
    ]  # a linked anonymous id
    assert [
        p["person"] for p in everyone(shared_storage, ns, PersonsQuery("TRIAL"))["persons"]
    ] == [f"anon:{stranger}"]  # traits kept under an anonymous id
    assert everyone(shared_storage, ns, PersonsQuery("zzz"))["persons"] == []
    # Range filter: only persons with a matching event, counted in the range.
    late = everyone(shared_storage, ns, PersonsQuery(), lo=T0 + 2 * S)["persons"]
    assert [(p["person"], p["events"]) for p in late] == [(f"anon:{stranger}", 1), (user, 1)]

    sql, flt = provider(shared_storage), EventFilter(namespace=ns)
    one = ask(get_person(sql, shared_storage, flt, user))
    assert one is not None and one["events"] == 3
    assert ask(get_person(sql, shared_storage, flt, f"{ns}-nobody")) is None
    latest = ask(latest_events(sql, flt, user, limit=2))
    assert [e["name"] for e in latest] == ["buy", "identify"]


def test_a_recorded_person_without_events_in_range(shared_storage: Storage) -> None:
    ns = f"c{next(_spaces)}"
    persons.identify(shared_storage.engine, f"{ns}-quiet", None, {"k": "v"})
    answer = ask(
        get_person(
            provider(shared_storage), shared_storage, EventFilter(namespace=ns), f"{ns}-quiet"
        )
    )
    assert answer == {
        "person": f"{ns}-quiet",
        "user_id": f"{ns}-quiet",
        "anonymous_ids": [],
        "traits": {"k": "v"},
        "first_seen": None,
        "last_seen": None,
        "events": 0,
    }


def test_a_forged_cursor_is_refused(shared_storage: Storage) -> None:
    with pytest.raises(Invalid) as caught:
        everyone(shared_storage, "none", PersonsQuery(after="bm90IGEgY3Vyc29y"))
    assert caught.value.errors[0].field == "after"


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    events=st.lists(
        st.tuples(
            st.integers(0, 20),
            st.sampled_from([None, "u0", "U1", "u2"]),
            st.sampled_from([None, "x0", "x1", "X2"]),
        ),
        max_size=30,
    ),
    identifies=st.lists(
        st.tuples(
            st.sampled_from([None, "u0", "U1"]),
            st.sampled_from([None, "x0", "x1"]),
            st.sampled_from([{}, {"city": "Oslo"}, {"city": "osaka"}, {"n": "7"}]),
        ),
        max_size=5,
    ),
    search=st.sampled_from(["", "u", "x1", "OS", "7", "-u0"]),
    limit=st.integers(1, 4),
    lo=st.integers(0, 10),
)
def test_random_persons_equal_the_brute_force(
    shared_storage: Storage,
    src: int,
    events: list[tuple[int, str | None, str | None]],
    identifies: list[tuple[str | None, str | None, dict[str, str]]],
    search: str,
    limit: int,
    lo: int,
) -> None:
    ns = f"h{next(_spaces)}"

    def scoped(i: str | None) -> str | None:
        return f"{ns}-{i}" if i else None

    links: dict[str, str] = {}
    for user, anon, traits in identifies:
        if user is None and anon is None:
            continue
        persons.identify(shared_storage.engine, scoped(user), scoped(anon), traits)
        if user is not None and anon is not None:
            links[f"{ns}-{anon}"] = f"{ns}-{user}"
    records = {}
    for key in {scoped(i) for trio in identifies for i in trio[:2] if i}:
        found = persons.get_person(shared_storage.engine, key)
        if found is not None:
            records[key] = found.traits
    raw = [Raw(T0 + t * S, ns, "e", scoped(u), scoped(a)) for t, u, a in events]
    store(shared_storage, src, raw)
    inside = [e for e in raw if e.ts >= T0 + lo * S]
    expected = [
        {
            "person": p["person"],
            "user_id": p["user_id"],
            "anonymous_ids": p["anonymous_ids"],
            "traits": p["traits"],
            "first_seen": to_iso(p["first"]),
            "last_seen": to_iso(p["last"]),
            "events": p["events"],
        }
        for p in brute.persons(inside, links, records, search)
    ]
    got: list[dict[str, Any]] = []
    after = None
    while True:
        page = everyone(shared_storage, ns, PersonsQuery(search, limit, after), lo=T0 + lo * S)
        assert len(page["persons"]) <= limit
        got += page["persons"]
        after = page["next"]
        if after is None:
            break
    assert got == expected
