"""Header lookups on the hot path answer exactly as Starlette's Headers.get does."""

from __future__ import annotations

from starlette.requests import Request

from tidings.http.headers import header


def _request(*pairs: tuple[bytes, bytes]) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": list(pairs)})


def test_a_present_header_is_found_and_decoded() -> None:
    request = _request((b"x-write-key", b"wk_caf\xe9"), (b"content-length", b"12"))
    assert header(request, b"x-write-key") == "wk_caf\u00e9"
    assert header(request, b"content-length") == "12"


def test_an_absent_header_is_none() -> None:
    assert header(_request((b"host", b"x")), b"authorization") is None


def test_the_first_of_repeated_headers_wins_as_in_starlette() -> None:
    request = _request((b"x-write-key", b"first"), (b"x-write-key", b"second"))
    assert header(request, b"x-write-key") == "first" == request.headers.get("x-write-key")


def test_lookups_after_the_first_use_the_same_table() -> None:
    request = _request((b"content-encoding", b"gzip"))
    assert header(request, b"content-encoding") == "gzip"
    # The table is kept per request, so a later lookup does not rescan the raw headers.
    request.scope["headers"] = []
    assert header(request, b"content-encoding") == "gzip"
