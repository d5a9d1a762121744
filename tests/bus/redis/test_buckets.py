"""Token buckets shared through Redis: across processes and limiters, per installation."""

from __future__ import annotations

import asyncio
import secrets

from tests.core.test_ratelimit import _failures, _login_limiter
from tests.services import redis_url
from tidings.app import open_buckets
from tidings.bus.redis.buckets import RedisBuckets
from tidings.core.ratelimit import RateLimiter


def test_redis_buckets_of_two_installations_are_separate() -> None:
    url = redis_url()
    scope = secrets.token_hex(4)
    key = "credential-hash"

    async def takes() -> list[float]:
        ours, ours_too = open_buckets(url, f"{scope}a"), open_buckets(url, f"{scope}a")
        neighbours = open_buckets(url, f"{scope}b")
        try:
            # One token each: our second take waits, the neighbour's first does not.
            return [
                await ours.take(key, 1 / 60, 1),
                await ours_too.take(key, 1 / 60, 1),
                await neighbours.take(key, 1 / 60, 1),
            ]
        finally:
            for buckets in (ours, ours_too, neighbours):
                await buckets.close()

    first, second, neighbour = asyncio.run(takes())
    assert first == 0
    assert second > 0
    assert neighbour == 0


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


def test_login_throttling_is_shared_through_redis() -> None:
    url, prefix = redis_url(), f"test:{secrets.token_hex(6)}:"

    async def run() -> tuple[list[int], int]:
        first, second = (
            _login_limiter(RedisBuckets(url, prefix)),
            _login_limiter(RedisBuckets(url, prefix)),
        )
        try:
            waits = await _failures(first, "admin", "192.0.2.1", 2)
            return waits, await second.login_blocked("admin", "192.0.2.1")
        finally:
            await first.close()
            await second.close()

    waits, blocked = asyncio.run(run())
    assert waits == [0, 0] and blocked >= 1
