"""The one place live items become SSE frames or NDJSON lines."""

from __future__ import annotations

from tidings.core.live import NDJSON, SSE, json_line
from tidings.core.live.framing import ndjson_line, sse_frame

SLOW = {"type": "slow_reader", "detail": "too slow"}


def test_an_sse_event_carries_its_id_for_resumption() -> None:
    assert SSE.event(7, b'{"a":1}') == sse_frame(7, b'{"a":1}') == b'id: 7\ndata: {"a":1}\n\n'


def test_an_ndjson_event_is_its_json_on_one_line() -> None:
    assert NDJSON.event(7, b'{"a":1}') == ndjson_line(b'{"a":1}') == b'{"a":1}\n'


def test_keepalives_are_a_comment_or_a_blank_line() -> None:
    assert SSE.keepalive == b": keepalive\n\n"
    assert NDJSON.keepalive == b"\n"


def test_only_sse_opens_with_a_retry_hint() -> None:
    assert SSE.opening == b"retry: 1000\n\n"
    assert NDJSON.opening == b""


def test_errors_are_an_error_event_or_an_error_line() -> None:
    assert SSE.error(SLOW) == b'event: error\ndata: {"type":"slow_reader","detail":"too slow"}\n\n'
    assert NDJSON.error(SLOW) == b'{"error":{"type":"slow_reader","detail":"too slow"}}\n'


def test_json_line_encodes_one_value_per_line() -> None:
    assert json_line({"connected": True}) == b'{"connected":true}\n'
