"""``unknown``: a filter value is reported exactly when no source of that name was created or
no stored event has that namespace (or that name, within the namespace when given), checked
against the raw events on random data, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services import postgres_schema
from tidings.core.unknown import unknown
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage
from tidings.storage.base import Storage

_ids = itertools.count()
WORDS = ["a", "b", "c"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def storage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Storage]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('unknown') / 'db.sqlite'}"
        opened = open_storage(url)
        opened.startup()
        yield opened
        opened.shutdown()
        return
    with postgres_schema() as url:
        opened = open_storage(url)
        opened.startup()
        yield opened
        opened.shutdown()


def _draft(source_id: int, namespace: str, name: str) -> EventDraft:
    n = next(_ids)
    return EventDraft(source_id, namespace, name, n, n, 1.0, None, None, f"u{n}", None, None, None)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stored=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)), max_size=8),
    namespace=st.one_of(st.none(), st.sampled_from([*WORDS, "z"])),
    names=st.lists(st.sampled_from([*WORDS, "z"]), max_size=3),
    source=st.one_of(st.none(), st.sampled_from(["made", "never"])),
)
def test_unknown_reports_exactly_what_no_raw_event_has(
    storage: Storage,
    stored: list[tuple[str, str]],
    namespace: str | None,
    names: list[str],
    source: str | None,
) -> None:
    # Each example has its own prefix, so earlier examples' events do not count.
    tag = f"x{next(_ids)}_"
    made = storage.create_source(f"{tag}made", f"hash{tag}", None)
    if stored:
        storage.insert_batch([_draft(made.id, tag + ns, tag + n) for ns, n in stored])
    flt = EventFilter(
        source=None if source is None else tag + source,
        namespace=None if namespace is None else tag + namespace,
        names=tuple(tag + n for n in names),
    )
    expected = []
    if source == "never":
        expected.append(f"source:{tag}never")
    namespace_seen = namespace is None or any(ns == namespace for ns, _ in stored)
    if not namespace_seen:
        expected.append(f"namespace:{tag}{namespace}")
    else:
        for name in dict.fromkeys(names):
            if not any(n == name and namespace in (None, ns) for ns, n in stored):
                expected.append(f"name:{tag}{name}")
    assert unknown(storage, flt) == expected


def test_no_filter_asks_nothing(storage: Storage) -> None:
    assert unknown(storage, EventFilter()) == []


def test_values_no_database_could_hold_are_unknown_without_asking(storage: Storage) -> None:
    # PostgreSQL refuses NUL in text outright; the answer must still be a plain "unknown".
    flt = EventFilter(source="a\x00", namespace="n\x00s", names=("x",))
    assert unknown(storage, flt) == ["source:a\x00", "namespace:n\x00s"]
    named = EventFilter(names=("x\x00", "\ud800"))
    assert unknown(storage, named) == ["name:x\x00", "name:\ud800"]
