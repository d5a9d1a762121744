"""Duplicate keys in a JSON object are refused (400 naming the key), not resolved last-wins.

orjson keeps the last of repeated keys without a word. Checking every body with a second,
pair-preserving parse would cost several times the decode, so a cheap test runs first, at C
speed: it compares how many colons the body has with how many its re-encoding has.

Why that is sound. In JSON text a colon is either the one after each key or a character
inside a string (literal, or escaped as ``\\u003a``); numbers and literals have none. orjson's
re-encoding writes each distinct key once, with its colon, and every string with its colons
literal. So when the body escapes no colon, a body without repeated keys has exactly as many
colons as its re-encoding, and one with a repeated key has more: the dropped occurrence's
colon (and any in its dropped value) are in the body only. White space plays no part. A body
with more colons, or one with a ``\\u003`` escape (looked for only when it has a backslash),
pays for the full parse with Python's json module.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from tidings.errors import Invalid

_COLON = b":"
_ESCAPED_COLON = b"\\u003"


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
    if b"\\" in raw and _ESCAPED_COLON in raw:
        return True
    try:
        encoded = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return True
    return raw.count(_COLON) != encoded.count(_COLON)


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
