"""Token buckets: in process (with an injected clock) and shared through Redis."""

from __future__ import annotations

import asyncio
import secrets

from tests.services import redis_url
from tidings.core.ratelimit import MemoryBuckets, RateLimiter, RedisBuckets, open_buckets


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    buckets = MemoryBuckets()
    waits = [buckets.take_now("k", 2.0, 3, 100.0) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == 0.5


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    buckets = MemoryBuckets()
    for _ in range(3):
        buckets.take_now("k", 1.0, 3, 0.0)
    assert buckets.take_now("k", 1.0, 3, 0.0) > 0
    assert buckets.take_now("k", 1.0, 3, 1.0) == 0.0
    # A long pause refills to the burst, not beyond.
    waits = [buckets.take_now("k", 1.0, 3, 1000.0) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.0, 1.0]


def test_keys_have_separate_buckets() -> None:
    buckets = MemoryBuckets()
    assert buckets.take_now("a", 1.0, 1, 0.0) == 0.0
    assert buckets.take_now("a", 1.0, 1, 0.0) > 0
    assert buckets.take_now("b", 1.0, 1, 0.0) == 0.0


def test_a_zero_rate_turns_the_limit_off() -> None:
    limiter = RateLimiter(MemoryBuckets(), rate=0, burst=1, anon_rate=0, anon_burst=1)

    async def hits() -> list[int]:
        return [await limiter.credential("c") for _ in range(5)] + [
            await limiter.anonymous("1.2.3.4") for _ in range(5)
        ]

    assert asyncio.run(hits()) == [0] * 10


def test_the_limiter_rounds_waits_up_to_whole_seconds() -> None:
    limiter = RateLimiter(MemoryBuckets(), rate=1 / 60, burst=1, anon_rate=1, anon_burst=1)

    async def hits() -> list[int]:
        return [await limiter.credential("c") for _ in range(2)]

    first, second = asyncio.run(hits())
    assert first == 0 and 59 <= second <= 60


def test_open_buckets_picks_the_backend_by_url() -> None:
    assert isinstance(open_buckets("memory://"), MemoryBuckets)
    assert isinstance(open_buckets(""), MemoryBuckets)


def test_redis_buckets_are_shared_between_limiters() -> None:
    url = redis_url()
    prefix = f"test:{secrets.token_hex(6)}:"

    async def run() -> list[int]:
        first = RateLimiter(
            RedisBuckets(url, prefix), rate=1 / 60, burst=2, anon_rate=1, anon_burst=1
        )
        second = RateLimiter(
            RedisBuckets(url, prefix), rate=1 / 60, burst=2, anon_rate=1, anon_burst=1
        )
        try:
            return [
                await first.credential("c"),
                await second.credential("c"),
                await first.credential("c"),
                await second.credential("c"),
                await second.credential("other"),
            ]
        finally:
            await first.close()
            await second.close()

    waits = asyncio.run(run())
    assert waits[:2] == [0, 0]
    assert all(w >= 1 for w in waits[2:4])
    assert waits[4] == 0


def test_redis_outage_lets_requests_through() -> None:
    async def run() -> int:
        limiter = RateLimiter(
            RedisBuckets("redis://127.0.0.1:1/0"), rate=1, burst=1, anon_rate=1, anon_burst=1
        )
        try:
            return await limiter.credential("c") + await limiter.credential("c")
        finally:
            await limiter.close()

    assert asyncio.run(run()) == 0


def test_the_synchronous_answer_is_only_given_for_in_process_buckets() -> None:
    memory = RateLimiter(MemoryBuckets(), rate=1 / 60, burst=1, anon_rate=1, anon_burst=1)
    assert memory.credential_now("c") == 0
    assert memory.credential_now("c") in (59, 60)
    redis = RateLimiter(
        RedisBuckets("redis://127.0.0.1:1/0"), rate=1, burst=1, anon_rate=1, anon_burst=1
    )
    assert redis.credential_now("c") is None
    off = RateLimiter(
        RedisBuckets("redis://127.0.0.1:1/0"), rate=0, burst=1, anon_rate=1, anon_burst=1
    )
    assert off.credential_now("c") == 0
    asyncio.run(redis.close())
    asyncio.run(off.close())
