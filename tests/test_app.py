"""The composition root's choices: which rate-limit buckets a URL gets, and the settings
the storage is given."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.testclient import TestClient

from tidings.app import create_app, open_buckets
from tidings.bus.redis.buckets import RedisBuckets
from tidings.config import Settings
from tidings.core.ratelimit import MemoryBuckets
from tidings.http.deps import Runtime
from tidings.redis_keys import key_prefix


def test_open_buckets_picks_the_backend_by_url() -> None:
    assert isinstance(open_buckets("memory://"), MemoryBuckets)
    assert isinstance(open_buckets(""), MemoryBuckets)
    shared = open_buckets("redis://127.0.0.1:6379/0", "42")  # connects on first use only
    try:
        assert isinstance(shared, RedisBuckets)
        assert shared.prefix == key_prefix("42", "rl")
    finally:
        asyncio.run(shared.close())


def test_the_storage_de_duplicates_within_the_configured_window(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), admin_password="x" * 16, dedup_window_days=2)
    with TestClient(create_app(settings)) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.storage.dedup_window_days == 2
