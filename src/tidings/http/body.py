"""Reading request bodies within a limit, gunzipping with the same limit (no zip bombs)."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from starlette.requests import Request

from tidings.errors import Invalid, TooLarge
from tidings.http.headers import header


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
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid.field("body", f"is not valid JSON: {exc}") from None
