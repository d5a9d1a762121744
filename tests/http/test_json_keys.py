"""Duplicate JSON keys: refused naming the key, whatever the formatting; never a false alarm.

The fast test (a pair count against the re-encoding) decides whether the full parse runs; the
property checks that together they refuse exactly the bodies with a repeated key in some
object, over random documents written with random white space and escapes."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.errors import Invalid
from tidings.http.json_keys import refuse_duplicate_keys

KEYS = st.sampled_from(["a", "b", 'q"', "c:", "é", "\\", 'k\\"', " "])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=6), KEYS
)
#: An object is a list of pairs, so a key may repeat; a list is a list.
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.tuples(KEYS, inner), max_size=4).map(lambda pairs: ("obj", pairs)),
    ),
    max_leaves=12,
)
SPACE = st.sampled_from(["", " ", "\n  ", "\t"])


def _string(text: str, ascii_only: bool, escape_all: bool) -> str:
    if escape_all:
        return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else c for c in text) + '"'
    return json.dumps(text, ensure_ascii=ascii_only)


def _write(doc: Any, draw: Any) -> str:
    """JSON text of ``doc`` with drawn white space and string escapes."""
    ascii_only, escape_all = draw(st.booleans()), draw(st.booleans())
    if isinstance(doc, tuple) and doc and doc[0] == "obj":
        parts = [
            f"{draw(SPACE)}{_string(k, ascii_only, escape_all)}{draw(SPACE)}:{draw(SPACE)}"
            f"{_write(v, draw)}{draw(SPACE)}"
            for k, v in doc[1]
        ]
        return "{" + ",".join(parts) + "}"
    if isinstance(doc, list):
        return "[" + ",".join(f"{draw(SPACE)}{_write(v, draw)}" for v in doc) + "]"
    if isinstance(doc, str):
        return _string(doc, ascii_only, escape_all)
    return json.dumps(doc)


def _repeats(doc: Any) -> bool:
    if isinstance(doc, tuple) and doc and doc[0] == "obj":
        keys = [k for k, _ in doc[1]]
        return len(keys) != len(set(keys)) or any(_repeats(v) for _, v in doc[1])
    if isinstance(doc, list):
        return any(_repeats(v) for v in doc)
    return False


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(doc=DOCS, data=st.data())
def test_a_body_is_refused_exactly_when_some_object_repeats_a_key(doc: Any, data: Any) -> None:
    text = _write(doc, data.draw)
    body = text.encode()
    parsed = orjson.loads(body)
    if _repeats(doc):
        with pytest.raises(Invalid) as refused:
            refuse_duplicate_keys(body, parsed)
        assert "appears more than once" in refused.value.detail
    else:
        refuse_duplicate_keys(body, parsed)


def test_the_error_names_the_repeated_key() -> None:
    body = b'{"events": [{"namespace": "n", "name": "a", "user_id": "u", "user_id": "v"}]}'
    with pytest.raises(Invalid) as refused:
        refuse_duplicate_keys(body, orjson.loads(body))
    assert [e.field for e in refused.value.errors] == ["user_id"]


def test_a_repeated_key_inside_properties_is_found() -> None:
    body = b'{"namespace":"n","name":"a","properties":{"x":1,"x":2}}'
    with pytest.raises(Invalid):
        refuse_duplicate_keys(body, orjson.loads(body))


def test_the_same_key_in_different_objects_is_fine() -> None:
    body = b'{"events":[{"namespace":"n","name":"a"},{"namespace":"n","name":"b"}]}'
    refuse_duplicate_keys(body, orjson.loads(body))


def test_quotes_and_colons_inside_strings_do_not_confuse_the_count() -> None:
    body = b'{"a":"x\\":y","b":"2024-01-01T10:00:00Z","c\\":":1}'
    refuse_duplicate_keys(body, orjson.loads(body))
