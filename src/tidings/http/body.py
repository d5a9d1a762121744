"""Reading request bodies within a limit, gunzipping with the same limit (no zip bombs)."""

from __future__ import annotations

import re
import secrets
import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tidings.errors import Invalid, TooLarge
from tidings.http.headers import header
from tidings.http.json_keys import refuse_duplicate_keys


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed if ``Content-Encoding: gzip``.

    Raises:
        TooLarge: the body, compressed or not, is over ``limit`` bytes.
        Invalid: the gzip stream is corrupt or the encoding is unknown.
    """
    declared = header(request, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = (header(request, b"content-encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise Invalid.field("Content-Encoding", f"{encoding!r} is not supported; use gzip")
    return _inflate(body, limit, gzip=encoding != "deflate")


def _inflate(body: bytes, limit: int, *, gzip: bool) -> bytes:
    """Inflate at most ``limit + 1`` bytes (a bomb stops there). A gzip body may hold several
    members (RFC 1952); anything else after the end of the data is refused, not ignored."""
    wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
    parts: list[bytes] = []
    size = 0
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise Invalid.field("body", f"is not valid gzip data ({exc})") from None
        size += len(data)
        if size > limit:
            raise TooLarge(f"decompressed body is over the limit of {limit} bytes")
        if not inflater.eof:
            raise Invalid.field("body", "gzip data is truncated")
        parts.append(data)
        rest = inflater.unused_data
        if not rest:
            return b"".join(parts)
        if not (gzip and rest.startswith(b"\x1f\x8b")):
            raise Invalid.field("body", "has bytes after the end of the compressed data")


def parse_json(body: bytes) -> Any:
    """Decode JSON; raises Invalid naming the body and the decoder's reason."""
    if not body:
        raise Invalid.field("body", "is empty; send a JSON object")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid.field("body", f"is not valid JSON: {exc}") from None
    refuse_duplicate_keys(body, data)
    return data


async def parse_json_tolerant(
    body: bytes, *, non_finite_inside: Sequence[str], lists: Sequence[str] = ()
) -> Any:
    """:func:`parse_json`, but ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's json
    module writes) are read as null when they lie inside an object named in
    ``non_finite_inside`` (``properties``), at the top of the body or of an item of one of the
    ``lists`` (``batch.3.properties``); anywhere else they leave the body invalid.

    Only a body the strict decoder refused is read again, in a worker thread (it takes a
    Python pass over the body), so the usual body costs nothing more.
    """
    try:
        return parse_json(body)
    except Invalid as refused:
        if b"NaN" not in body and b"Infinity" not in body:
            raise
        problem = refused
    inside, within = frozenset(non_finite_inside), frozenset(lists)
    return await run_in_threadpool(_tolerant, body, problem, inside, within)


#: A run of anything but a non-finite token (group 1), then the token or the end. JSON
#: strings are taken whole, so a token inside one is left alone. Everything is possessive and
#: a string that never closes runs to the end (the decoder refuses it later): with any
#: backtracking, every later quote would scan to the end again, quadratic on a crafted body.
_TOKENS = re.compile(
    rb'((?:[^"NI-]++|"[^"\\]*+(?:\\.?[^"\\]*+)*+(?:"|\Z)|-(?!Infinity)|N(?!aN)|I(?!nfinity))*+)'
    rb"(?:(NaN|-?Infinity)|\Z)",
    re.DOTALL,
)
Path = tuple[str | int, ...]


def _tolerant(body: bytes, problem: Invalid, inside: frozenset[str], lists: frozenset[str]) -> Any:
    """Decode ``body`` with its non-finite tokens as null where allowed. Each token becomes
    a string no client can guess, so the strict decoder still judges everything else."""
    quoted = orjson.dumps(f"tidings-non-finite-{secrets.token_hex(16)}")
    rewritten = b"".join([run + quoted if token else run for run, token in _TOKENS.findall(body)])
    try:
        data = orjson.loads(rewritten)
    except orjson.JSONDecodeError:
        raise problem from None
    misplaced = _settle(data, orjson.loads(quoted), inside, lists)
    if misplaced is not None:
        where = ".".join(map(str, misplaced)) or "the top level"
        raise Invalid.field(
            "body",
            f"is not valid JSON: NaN, Infinity and -Infinity are accepted only inside"
            f" {', '.join(sorted(inside))} (found at {where})",
        )
    refuse_duplicate_keys(body, data)
    return data


def _allowed(path: Path, inside: frozenset[str], lists: frozenset[str]) -> bool:
    """Whether ``path`` lies strictly inside an allowed object of the body or of a list item."""
    if len(path) >= 2 and path[0] in inside:
        return True
    return len(path) >= 4 and path[0] in lists and isinstance(path[1], int) and path[2] in inside


def _settle(data: Any, marker: str, inside: frozenset[str], lists: frozenset[str]) -> Path | None:
    """Replace the allowed markers in ``data`` with None; the path of the first other one."""
    if not isinstance(data, dict | list):
        return () if data == marker else None
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:  # a loop, not recursion: the body may nest as deep as the decoder allows
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in list(items):
            if isinstance(child, dict | list):
                stack.append((child, (*path, key)))
            elif child == marker:
                if not _allowed((*path, key), inside, lists):
                    return (*path, key)
                node[key] = None
    return None
