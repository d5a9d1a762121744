"""Request bodies: gzip within the body limit, several gzip members, nothing after the end."""

from __future__ import annotations

import gzip
import zlib

from starlette.testclient import TestClient

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
