"""Duplicate keys in a JSON object are refused (400 naming the key), not resolved last-wins.

orjson keeps the last of repeated keys without a word. Checking every body with a second,
pair-preserving parse would double the cost of ingest, so a cheap test runs first, at C speed:
it compares how many ``"`` + ``:`` pairs the body has with how many its re-encoding has.

Why that is sound. In any JSON text the bytes ``"`` then ``:`` come only from a key's closing
quote followed by its colon, or from an escaped quote inside a string (``\\"``) followed by a
colon. orjson's re-encoding writes each distinct key once, directly followed by its colon, and
every quote and colon inside strings as ``\\"`` and ``:``. So when the body writes quotes and
colons inside strings the same way (no ``\\u0022`` or ``\\u003a`` escapes), the in-string pairs
are equal in both, and a body whose count, plus every quote followed by white space (a key
written ``"k" :``), is no larger than the re-encoding's count has no repeated key. Only bodies
that fail that test (repeats, or pretty-printed with white space after strings, or those
escapes) pay for the full parse with Python's json module.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from tidings.errors import Invalid

_PAIR = b'":'
_SPACED = (b'" ', b'"\n', b'"\t', b'"\r')
_ESCAPES = (b"\\u0022", b"\\u003a", b"\\u003A")


def refuse_duplicate_keys(body: bytes | str, data: Any) -> None:
    """Raise :class:`Invalid` naming a key that some object of ``body`` repeats; ``data`` is
    the body as orjson decoded it (a decoded body of other types has no object to repeat in).
    """
    if not isinstance(data, dict | list):
        return
    raw = body.encode() if isinstance(body, str) else body
    if _maybe_repeats(raw, data):
        _full_check(raw)


def _maybe_repeats(raw: bytes, data: Any) -> bool:
    if any(escape in raw for escape in _ESCAPES):
        return True
    upper = raw.count(_PAIR) + sum(raw.count(spaced) for spaced in _SPACED)
    try:
        encoded = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return True
    return upper > encoded.count(_PAIR)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Repeated(key)
        seen[key] = value
    return seen


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _full_check(raw: bytes) -> None:
    try:
        json.loads(raw, object_pairs_hook=_pairs)
    except _Repeated as exc:
        raise Invalid.field(exc.key, "appears more than once in one JSON object") from None
    except (ValueError, RecursionError):
        # orjson accepted the body; anything Python's decoder refuses (its nesting limit)
        # cannot be checked, so the body is refused rather than let through unchecked.
        raise Invalid.field("body", "is nested too deeply to check for repeated keys") from None
