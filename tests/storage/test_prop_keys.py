"""``prop.KEY`` filters match the key exactly, whatever characters it holds (issue 20: a key
with ``"`` never matched on SQLite, whose JSON paths know no escapes), on every engine, for
listing and for deleting alike: checked against a brute-force reading of the stored JSON."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.base import Storage

#: Keys the filter must name exactly: the characters JSON paths and pointers treat specially,
#: non-ASCII and controls; never NUL or a lone surrogate (the HTTP layer refuses those).
TRICKY = ['"', "\\", ".", "$", "[", "]", "'", "*", "/", "~", "é", "\t", " ", "\U0001f600"]
KEYS = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=6,
)
VALUES = st.one_of(
    st.sampled_from(["v", "w", 'q"', "1"]), st.integers(-2, 2), st.booleans(), st.none()
)
_counter = itertools.count()


def _shown(value: Any) -> str | None:
    """A property as the list filter compares it: strings as themselves, the rest as JSON."""
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _draft(source_id: int, namespace: str, message_id: str, props: dict[str, Any]) -> EventDraft:
    ts = 1_700_000_000_000_000
    return EventDraft(
        source_id,
        namespace,
        "n",
        ts,
        ts,
        1.0,
        orjson.dumps(props).decode(),
        None,
        message_id,
        None,
        None,
        None,
    )


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.dictionaries(KEYS, VALUES, max_size=3), min_size=1, max_size=6),
    key=KEYS,
    value=st.sampled_from(["v", "w", 'q"', "1", "0", "true", "false"]),
    pick=st.integers(0, 10),
)
def test_prop_filters_match_keys_exactly(
    storage: Storage, rows: list[dict[str, Any]], key: str, value: str, pick: int
) -> None:
    # Ask for a key that is really there half of the time.
    present = [(k, _shown(v)) for row in rows for k, v in row.items() if v is not None]
    if present and pick % 2:
        key, shown = present[pick % len(present)]
        value = shown or value
    namespace = f"ns{next(_counter)}"
    source_id = storage.create_source(namespace, namespace.ljust(64, "k"), None).id
    storage.insert_batch(
        [_draft(source_id, namespace, f"{namespace}-{i}", row) for i, row in enumerate(rows)]
    )
    want = [
        f"{namespace}-{i}" for i, row in enumerate(rows) if key in row and _shown(row[key]) == value
    ]
    flt = EventFilter(namespace=namespace, props=((key, value),))
    assert [e.message_id for e in storage.list_events(flt, 0, 100)] == want
    assert storage.delete_events(flt) == len(want)
    left = storage.list_events(EventFilter(namespace=namespace), 0, 100)
    assert len(left) == len(rows) - len(want)
