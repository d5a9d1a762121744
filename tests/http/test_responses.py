"""JSONBody answers exactly as Starlette's Response with media type application/json."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from tidings.http.responses import JSONBody


@pytest.mark.parametrize(("body", "status"), [(b'{"ok":true}', 200), (b"[]", 201), (b"", 200)])
def test_headers_status_and_body_match_starlette(body: bytes, status: int) -> None:
    ours = JSONBody(body, status)
    theirs = Response(body, status_code=status, media_type="application/json")
    assert (ours.status_code, ours.body) == (theirs.status_code, theirs.body)
    assert sorted(ours.raw_headers) == sorted(theirs.raw_headers)


def test_each_answer_has_its_own_header_list() -> None:
    # Callers extend raw_headers (CORS, security headers): one answer must not grow another's.
    first = JSONBody(b"{}")
    first.raw_headers.append((b"x-extra", b"1"))
    assert (b"x-extra", b"1") not in JSONBody(b"{}").raw_headers
