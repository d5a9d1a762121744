"""The rate limiter and its in-process token buckets (with an injected clock)."""

from __future__ import annotations

import asyncio

from tidings.bus.redis.buckets import RedisBuckets
from tidings.core.ratelimit import Buckets, MemoryBuckets, RateLimiter


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


def test_peeking_at_a_bucket_takes_nothing() -> None:
    buckets = MemoryBuckets()
    assert [buckets.peek_now("k", 1.0, 1, 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    buckets.take_now("k", 1.0, 1, 0.0)
    assert buckets.peek_now("k", 1.0, 1, 0.0) == 1.0
    assert buckets.peek_now("k", 1.0, 1, 1.0) == 0.0


def _login_limiter(buckets: Buckets) -> RateLimiter:
    return RateLimiter(
        buckets, rate=0, burst=1, anon_rate=0, anon_burst=1, login_rate=1 / 60, login_burst=2
    )


async def _failures(limiter: RateLimiter, user: str, ip: str, times: int) -> list[int]:
    waits = []
    for _ in range(times):
        waits.append(await limiter.login_blocked(user, ip))
        await limiter.login_failed(user, ip)
    return waits


def test_failed_logins_block_that_username_from_that_address() -> None:
    limiter = _login_limiter(MemoryBuckets())

    async def run() -> tuple[list[int], int, int]:
        waits = await _failures(limiter, "admin", "192.0.2.1", 3)
        other_user = await limiter.login_blocked("alice", "192.0.2.1")
        other_ip = await limiter.login_blocked("admin", "192.0.2.2")
        return waits, other_user, other_ip

    waits, other_user, other_ip = asyncio.run(run())
    assert waits[:2] == [0, 0] and 55 <= waits[2] <= 60
    assert other_user == 0 and other_ip == 0


def test_failed_logins_from_many_addresses_block_the_username() -> None:
    limiter = _login_limiter(MemoryBuckets())

    async def run() -> int:
        # Ten times one address's budget (2), one failure from each of 20 addresses.
        for n in range(20):
            await limiter.login_failed("admin", f"192.0.2.{n}")
        return await limiter.login_blocked("admin", "198.51.100.1")

    assert asyncio.run(run()) >= 1


def test_a_zero_login_rate_turns_throttling_off() -> None:
    limiter = RateLimiter(MemoryBuckets(), rate=0, burst=1, anon_rate=0, anon_burst=1)
    assert asyncio.run(_failures(limiter, "admin", "192.0.2.1", 5)) == [0] * 5
