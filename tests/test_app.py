"""The composition root's choices: which rate-limit buckets a URL gets."""

from __future__ import annotations

import asyncio

from tidings.app import open_buckets
from tidings.bus.redis.buckets import RedisBuckets
from tidings.core.ratelimit import MemoryBuckets
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
