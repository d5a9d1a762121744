"""Hostile input for the fuzz tests of every ingest route (issue 13, "hostile input").

Each route is described by a :class:`Target`: a valid JSON body (the template) plus the
dotted paths of its timestamp fields and of the fields it stores. The strategies here spoil a
template in one place, either with a value that is valid JSON but must be refused (NUL in a
string or a key, a time far outside 1970..2199) or with raw bytes that are not JSON at all
(1e400, 10**400 spelt out, 10,000 levels of nesting, invalid UTF-8, a lone surrogate). The
suites (tests/http/hostile_suites.py) then assert a 4xx that names the field, and that the
database saw no commit at all.
"""

from __future__ import annotations

import copy
import gzip
import sqlite3
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote_plus

import httpx2
import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

#: Bounded fuzzing: enough examples to cover every strategy branch, quick enough to run often.
FUZZ = settings(
    max_examples=25,
    # The same examples on every run: CI stays reproducible; widen locally with a profile.
    derandomize=True,
    deadline=None,
    database=None,
    # Each parametrised case runs on its own instance of the suite class (differing_executors);
    # all state comes from fixtures, so that is safe.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)
PLACEHOLDER = "\x01hostile\x01"


@dataclass(frozen=True)
class Target:
    """One ingest route and a body it accepts."""

    name: str
    path: str
    template: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    #: Dotted paths of timestamp fields (``batch.0.timestamp``).
    timestamps: tuple[str, ...] = ()
    #: Dotted paths of strings or objects whose content is stored.
    stored: tuple[str, ...] = ()
    method: str = "POST"
    #: Other names an error about the whole body may use: a required field (when the route
    #: also reads the query string), or the API's own word for the body.
    body_names: tuple[str, ...] = ()
    #: Invalid UTF-8 is refused (Opencast reads it as latin-1 instead, seed-systems.md 1.2).
    strict_utf8: bool = True
    #: The list of messages whose invalid items are dropped, the rest stored (a Segment
    #: ``batch``); empty: any invalid item refuses the whole body.
    drops: str = ""
    #: Dotted path prefixes (``properties.``) under which NaN and Infinity are read as null.
    non_finite_ok: tuple[str, ...] = ()

    def dropped_item(self, path: str) -> bool:
        """Whether spoiling ``path`` spoils one item of the :attr:`drops` list only."""
        steps = path.split(".")
        return bool(self.drops) and len(steps) > 2 and steps[0] == self.drops

    def send(self, client: TestClient, body: bytes, **headers: str) -> httpx2.Response:
        sent = {"Content-Type": "application/json", **self.headers, **headers}
        return client.request(self.method, self.path, content=body, headers=sent)


# -- what is stored ----------------------------------------------------------------------------
class Watch:
    """Sees every commit to the app's SQLite database, by any connection: SQLite's
    ``data_version`` changes whenever another connection commits (a row added, removed or
    changed in any table), so a refused request must leave it as it was."""

    def __init__(self, database_url: str) -> None:
        self._conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))

    def version(self) -> int:
        version: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return version

    def events(self) -> int:
        count: int = self._conn.execute("SELECT count(*) FROM events").fetchone()[0]
        return count

    def close(self) -> None:
        self._conn.close()


def refused(watch: Watch, send: Callable[[], httpx2.Response], *names: str) -> httpx2.Response:
    """Send; assert a 4xx naming one of ``names`` (case-insensitive) that stored nothing."""
    before = watch.version(), watch.events()
    answer = send()
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:500])
    if names:
        said = answer.text.lower()
        assert any(n.lower() in said for n in names), (names, answer.text[:500])
    assert (watch.version(), watch.events()) == before, answer.text[:500]
    return answer


def refused_or_dropped(
    target: Target, watch: Watch, path: str, send: Callable[[], httpx2.Response], *names: str
) -> httpx2.Response:
    """:func:`refused`; or, where ``path`` spoils one item of a list whose bad items are
    dropped, a success that stored every other item and not that one."""
    if not target.dropped_item(path):
        return refused(watch, send, *names)
    before = watch.events()
    answer = send()
    assert answer.is_success, answer.text[:500]
    assert watch.events() == before + len(target.template[target.drops]) - 1, path
    return answer


# -- spoiling a template ---------------------------------------------------------------------
def walk(body: Any, path: str) -> tuple[Any, str | int]:
    """The container holding the last step of ``path``, and that step."""
    steps: list[str | int] = [int(s) if s.isdigit() else s for s in path.split(".")]
    node = body
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def put(template: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``template`` with ``value`` at ``path``."""
    body = copy.deepcopy(template)
    node, last = walk(body, path)
    node[last] = value
    return body


def spoil_stored(template: dict[str, Any], path: str, nul: str) -> dict[str, Any]:
    """Put a NUL into what ``path`` stores: the string itself, or a key and a value of the
    object."""
    body = copy.deepcopy(template)
    node, last = walk(body, path)
    current = node[last]
    if isinstance(current, dict):
        current[nul] = "x" if len(current) % 2 else nul
    else:
        node[last] = f"{current}{nul}"
    return body


def splice(template: dict[str, Any], path: str, raw: bytes) -> bytes:
    """The template as JSON with the raw bytes ``raw`` as the value at ``path``."""
    encoded = orjson.dumps(put(template, path, PLACEHOLDER))
    return encoded.replace(orjson.dumps(PLACEHOLDER), raw, 1)


def all_paths(template: dict[str, Any], prefix: str = "") -> list[str]:
    """Every dotted path of the template (objects, lists and leaves)."""
    found: list[str] = []
    items = template.items() if isinstance(template, dict) else enumerate(template)
    for key, value in items:
        path = f"{prefix}{key}"
        found.append(path)
        if isinstance(value, dict | list) and value:
            found.extend(all_paths(value, f"{path}."))  # type: ignore[arg-type]
    return found


# -- hostile values --------------------------------------------------------------------------
nul_strings = st.tuples(st.text(max_size=8), st.text(max_size=8)).map(
    lambda parts: f"{parts[0]}\x00{parts[1]}"
)
#: Times Tidings cannot store (before 1970, from 2200 on): each is tried at every time field.
FAR_TIMES: list[Any] = [
    "0001-01-01T00:00:00Z",
    # Offsets that push year 1 and year 9999 past the calendar when made UTC.
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+0100",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    1e20,
    -1e20,
    10**30,
    -(10**18),
    1.7976931348623157e308,
    "1e20",
    "-86400",
]
#: More of them, at random, as numbers of s, ms or us and as ISO strings.
far_timestamps = st.one_of(
    st.integers(min_value=-(2**63), max_value=-2),
    st.floats(min_value=7.3e9, max_value=9.9e10),
    st.floats(min_value=7.3e12, max_value=9.9e13),
    st.floats(min_value=7.3e15, max_value=1e300),
    st.integers(min_value=7_300_000_000_000_000, max_value=2**64 - 1),
    st.dates(max_value=date(1969, 12, 31)).map(lambda d: f"{d}T12:00:00Z"),
    st.dates(min_value=date(2200, 1, 1)).map(lambda d: f"{d}T00:00:00"),
    st.dates(max_value=date(1969, 12, 31)).map(str),
)
DEEP = 10_000
#: Values that are not JSON, or not JSON a parser should take: every one makes the body bad.
RAW_VALUES: dict[str, bytes] = {
    "float_1e400": b"1e400",
    "float_minus_1e400": b"-1e400",
    "int_10_pow_400": b"1" + b"0" * 400,
    "deep_lists": b"[" * DEEP + b"]" * DEEP,
    "deep_objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "unclosed_nesting": b"[" * DEEP,
    "nan": b"NaN",
    "infinity": b"Infinity",
    "raw_nul_in_string": b'"a\x00b"',
    "raw_control_in_string": b'"a\x01b"',
    "lone_surrogate": b'"\\ud800"',
    "single_quotes": b"'x'",
    "leading_zero": b"007",
    "hex": b"0x10",
}
#: The raw values a route may read as null where it tolerates them (Target.non_finite_ok).
NON_FINITE = frozenset((RAW_VALUES["nan"], RAW_VALUES["infinity"]))
#: Invalid UTF-8 inside a string value.
INVALID_UTF8: dict[str, bytes] = {
    "invalid_utf8": b'"\xff\xfe"',
    "overlong_utf8": b'"\xc0\xaf"',
    "utf8_surrogate": b'"\xed\xa0\x80"',
    "truncated_utf8": b'"\xe2\x82"',
}
#: Whole bodies that are not a JSON object.
MALFORMED_BODIES: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"  \n",
    "truncated": b'{"a": ',
    "trailing_garbage": b'{"a": 1} x',
    "not_json": b"hello",
    "form_data_as_json": b"a=1&b=2",
    "json_string": b'"text"',
    "json_null": b"null",
    "json_list": b"[1, 2]",
    "bom_only": b"\xef\xbb\xbf",
    "nul_bytes": b"\x00" * 64,
    "invalid_utf8": b"\xff\xfe\xfd",
    "deep_lists": b"[" * DEEP + b"]" * DEEP,
    "int_10_pow_400": b"1" + b"0" * 400,
}


#: Parseable numbers at the edges of 64-bit integers and doubles.
HUGE_NUMBERS: list[Any] = [
    2**63 - 1,
    2**63,
    2**64 - 1,
    -(2**63),
    -(2**63) - 1,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    1e-300,
]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def raw_values(strict_utf8: bool) -> st.SearchStrategy[bytes]:
    values = {**RAW_VALUES, **(INVALID_UTF8 if strict_utf8 else {})}
    return st.sampled_from(sorted(values)).map(values.__getitem__)


# -- gzip bombs ------------------------------------------------------------------------------
#: 64 MiB of spaces in about 64 KiB: under every body limit compressed, far over it inflated.
BOMB_INFLATED = 64 * 1024 * 1024
BOMB = gzip.compress(b" " * BOMB_INFLATED, compresslevel=9)


def peak_memory(send: Callable[[], httpx2.Response]) -> tuple[httpx2.Response, int]:
    """The response and the peak of Python memory allocated while it was made."""
    tracemalloc.start()
    try:
        answer = send()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return answer, peak


# -- form bodies -----------------------------------------------------------------------------
#: Spoilt form values, percent-encoded as a browser would send them (or raw bytes).
FORM_SPOILERS: dict[str, bytes] = {
    "nul": b"a%00b",
    "invalid_utf8_escape": b"%FF%FE",
    "overlong_utf8_escape": b"%C0%AF",
    "surrogate_utf8_escape": b"%ED%A0%80",
    "raw_invalid_utf8": b"\xff\xfe",
}


def form(fields: dict[str, str], spoilt: str = "", value: bytes = b"") -> bytes:
    """``fields`` as form data, with the raw (already encoded) ``value`` for ``spoilt``."""
    parts = [
        key.encode() + b"=" + (value if key == spoilt else urlencode_value(text_value))
        for key, text_value in fields.items()
    ]
    return b"&".join(parts)


def urlencode_value(value: str) -> bytes:
    return quote_plus(value).encode()


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
