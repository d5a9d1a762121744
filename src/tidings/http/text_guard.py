"""Text no database can hold: NUL and lone surrogates are refused with 400 at the edge.

PostgreSQL refuses NUL in text (and psycopg cannot encode a lone surrogate), SQLite's JSON
paths stop at NUL: either way a value carrying one used to reach the database and come back
as a 500 (issue 20). One guard sits in front of every route (http.edge.Edge) for what
every request has - the path, the query string and the header credentials - and the form
parsers call :func:`check_pairs` for what only they read. Each refusal names the field.

The checks are byte scans on the common path (``%00`` in the query, NUL in a header), so a
clean request pays next to nothing; only a suspicious one is parsed to find the field.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import Scope

from tidings.errors import Invalid

_BAD = re.compile("[\x00\ud800-\udfff]")
#: Headers whose values become lookups (credentials, the session cookie).
CREDENTIAL_HEADERS = (b"authorization", b"x-write-key", b"cookie")
REASON = "must not contain NUL or a lone surrogate"


def bad_text(value: str) -> bool:
    """Whether ``value`` holds a character no database stores (NUL, a lone surrogate)."""
    return _BAD.search(value) is not None


def check_text(field: str, value: str) -> str:
    """``value``, or Invalid naming ``field`` when it holds NUL or a lone surrogate."""
    if _BAD.search(value) is not None:
        raise Invalid.field(field, REASON)
    return value


def check_pairs(pairs: Iterable[tuple[str, str]]) -> None:
    """Refuse the first form or query field whose name or value is unstorable text."""
    for name, value in pairs:
        if _BAD.search(name) is not None:
            raise Invalid.field(_printable(name), "the field name " + REASON)
        check_text(name, value)


def check_mapping(fields: Mapping[str, Any]) -> None:
    """:func:`check_pairs` for a decoded form (string values only)."""
    check_pairs((k, v) for k, v in fields.items() if isinstance(v, str))


def _printable(name: str) -> str:
    return _BAD.sub("\ufffd", name)


def _basic_pair(value: bytes) -> str | None:
    scheme, _, encoded = value.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        return base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None  # not a usable credential at all: authentication says so


def request_problem(scope: Scope) -> Invalid | None:
    """What is unstorable in the path, query string or header credentials of ``scope``."""
    path: str = scope["path"]
    if _BAD.search(path) is not None:
        return Invalid.field("path", REASON)
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        try:
            check_pairs(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        except Invalid as exc:
            return exc
    for name, value in scope["headers"]:
        if name not in CREDENTIAL_HEADERS:
            continue
        if b"\x00" in value:
            return Invalid.field(name.decode().title(), REASON)
        if name == b"authorization":
            pair = _basic_pair(value)
            # The OAuth2 token endpoint reads both parts percent-decoded (RFC 6749 2.3.1).
            if pair is not None and (bad_text(pair) or bad_text(unquote(pair))):
                return Invalid.field("Authorization", REASON)
    return None
