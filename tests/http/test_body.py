"""Request bodies: gzip within the body limit, several gzip members, nothing after the end;
NaN and Infinity where a route tolerates them."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import time
import zlib

import pytest
from starlette.testclient import TestClient

from tidings.errors import Invalid
from tidings.http.body import parse_json, parse_json_tolerant
from tidings.http.deps import Runtime


def _post(client: TestClient, write_key: str, body: bytes, encoding: str) -> int:
    headers = {
        "X-Write-Key": write_key,
        "Content-Type": "application/json",
        "Content-Encoding": encoding,
    }
    answer = client.post("/api/v1/events", content=body, headers=headers)
    return answer.status_code


def test_a_body_in_several_gzip_members_is_read_whole(
    client: TestClient, rt: Runtime, write_key: str
) -> None:
    body = gzip.compress(b'{"namespace": "a", ') + gzip.compress(b'"name": "b"}')
    assert _post(client, write_key, body, "gzip") == 200
    assert rt.storage.count_events() == 1


def test_deflate_is_read(client: TestClient, rt: Runtime, write_key: str) -> None:
    assert (
        _post(client, write_key, zlib.compress(b'{"namespace":"a","name":"b"}'), "deflate") == 200
    )
    assert rt.storage.count_events() == 1


def test_bytes_after_the_compressed_data_are_refused(
    client: TestClient, rt: Runtime, write_key: str
) -> None:
    packed = b'{"namespace": "a", "name": "b"}'
    assert _post(client, write_key, gzip.compress(packed) + b"junk", "gzip") == 400
    assert _post(client, write_key, zlib.compress(packed) + zlib.compress(packed), "deflate") == 400
    assert rt.storage.count_events() == 0


def test_members_together_over_the_limit_are_413(
    client: TestClient, rt: Runtime, write_key: str
) -> None:
    limit = rt.settings.max_body_bytes
    member = gzip.compress(b" " * (limit // 2 + 1))
    assert _post(client, write_key, member + member, "gzip") == 413
    assert rt.storage.count_events() == 0


def test_non_finite_tokens_are_null_inside_the_named_objects_only() -> None:
    nan, inf = float("nan"), float("inf")
    body = json.dumps(
        {
            "events": [{"properties": {"a": nan, "b": [inf, "NaN", 'x"NaN'], "c": -inf}}],
            "properties": {"d": {"e": nan}},
        }
    ).encode()

    def tolerant(raw: bytes) -> object:
        parsing = parse_json_tolerant(raw, non_finite_inside=("properties",), lists=("events",))
        return asyncio.run(parsing)

    assert tolerant(body) == {
        "events": [{"properties": {"a": None, "b": [None, "NaN", 'x"NaN'], "c": None}}],
        "properties": {"d": {"e": None}},
    }
    for bad, where in [
        (b'{"value": NaN}', "value"),
        (b"Infinity", "the top level"),
        (b'{"properties": NaN}', "properties"),
        (b'{"events": [{"value": -Infinity}]}', "events.0.value"),
        (b'{"other": {"a": NaN}}', "other.a"),
    ]:
        with pytest.raises(Invalid, match=f"found at {where}"):
            tolerant(bad)
    # Whatever else the strict decoder refuses stays refused.
    for bad in [b'{"properties": {"a": NaNx}}', b'{"properties": {"a": 1e400, "b": NaN}}']:
        with pytest.raises(Invalid, match="not valid JSON"):
            tolerant(bad)
    # Elsewhere, as before: invalid.
    with pytest.raises(Invalid, match="not valid JSON"):
        parse_json(b'{"properties": {"a": NaN}}')


def test_the_tolerant_reading_takes_linear_time_on_crafted_bodies() -> None:
    for crafted in (b'["\\' * 200_000 + b"NaN", b'"a' * 200_000 + b"NaN", b"[" + b"NaN," * 50_000):
        started = time.perf_counter()
        with contextlib.suppress(Invalid):
            asyncio.run(parse_json_tolerant(crafted, non_finite_inside=("properties",)))
        # Quadratic scanning would take minutes here.
        assert time.perf_counter() - started < 5
