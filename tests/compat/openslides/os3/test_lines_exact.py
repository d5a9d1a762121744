"""Change lines equal a brute-force computation on random change sequences: the keys changed
since any position (log or full scan), each restricted for the caller from scratch."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.compat.openslides.os3.fixture import meeting
from tidings.compat.openslides.os3 import data as data_module
from tidings.compat.openslides.os3.data import Data, collection_of, id_of
from tidings.compat.openslides.os3.lines import Lines
from tidings.compat.openslides.os3.perms import caller, required_users
from tidings.compat.openslides.os3.restrict import Context, restrict

BASE = meeting()
KEYS = sorted(BASE)
UIDS = [0, 1, 2, 3, 4, 5, 6, 99]

#: One change: some keys of the meeting, each deleted or replaced by a variant of itself.
changes = st.lists(
    st.dictionaries(
        st.sampled_from(KEYS),
        st.one_of(st.none(), st.integers(0, 3)),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=12,
)


def _variant(key: str, n: int) -> dict[str, Any]:
    element = dict(BASE[key])
    if n == 1 and "groups_id" in element:
        element["groups_id"] = [4]
    if n == 2:
        element["is_hidden"] = True
        element["state"] = 4
    if n == 3:
        element["state_restriction"] = ["is_submitter"]
        element["internal"] = True
    return element


def _brute(data: Data, uid: int, keys: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    ctx = Context(caller(data, uid), data, required_users(data))
    changed: dict[str, list[Any]] = {}
    deleted: dict[str, list[int]] = {}
    for key in keys:
        element = data.elements.get(key)
        seen = None if element is None else restrict(collection_of(key), element, ctx)
        if seen is None:
            deleted.setdefault(collection_of(key), []).append(id_of(key))
        else:
            changed.setdefault(collection_of(key), []).append(seen)
    return changed, deleted


def _sorted(groups: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: sorted(v, key=orjson.dumps) for k, v in groups.items()}


@settings(max_examples=60, deadline=None)
@given(changes, st.integers(0, 12), st.booleans())
def test_change_lines_equal_brute_force(
    sequence: list[dict[str, int | None]], position: int, short_log: bool
) -> None:
    if short_log:
        data_module.LOG_LENGTH = 4  # exercise the full scan for old positions too
    try:
        data = Data()
        data.replace(BASE, {}, 100)
        lines = Lines(data)
        history: list[tuple[int, set[str]]] = []
        for change in sequence:
            elements = {k: None if n is None else _variant(k, n) for k, n in change.items()}
            change_id = data.current + 1
            data.apply(change_id, elements)
            history.append((change_id, set(elements)))
        cursor = 100 + min(position, len(sequence))
        expected_keys = {k for cid, keys in history if cid > cursor for k in keys}
        assert data.changed_since(cursor) == expected_keys
        for uid in UIDS:
            line = lines.changes(uid, data.changed_since(cursor), cursor, data.current)
            if not expected_keys:
                assert line is None
                continue
            assert line is not None
            got = orjson.loads(line)
            changed, deleted = _brute(data, uid, expected_keys)
            assert _sorted(got["changed"]) == _sorted(changed)
            assert {k: sorted(v) for k, v in got["deleted"].items()} == {
                k: sorted(v) for k, v in deleted.items()
            }
            assert (got["from_change_id"], got["to_change_id"]) == (cursor, data.current)
    finally:
        data_module.LOG_LENGTH = 2000
