"""Token-bucket rate limits, per credential and per client IP.

Each key (``cred:token:7``, ``ip:203.0.113.9``) has a bucket of ``burst`` tokens refilled at
``rate`` per second; a request takes one token or is refused with the seconds until one is
back. Buckets live in this process by default (:class:`MemoryBuckets`); the app can give the
limiter buckets shared by every process instead (Redis, see tidings.bus.redis.buckets).
"""

from __future__ import annotations

import math
import time
from typing import Protocol

#: Idle buckets kept in process before the full ones are swept out.
MAX_MEMORY_BUCKETS = 100_000


class Buckets(Protocol):
    """Where the limiter keeps its buckets: this process, or a store every process shares."""

    async def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token; 0.0 when allowed, else seconds until a token is back."""

    async def peek(self, key: str, rate: float, burst: int) -> float:
        """Like :meth:`take`, but leave the bucket as it is."""

    async def close(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process: ``{key: (tokens, last refill on the monotonic clock)}``."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, rate: float, burst: int) -> float:
        return self.take_now(key, rate, burst, time.monotonic())

    async def peek(self, key: str, rate: float, burst: int) -> float:
        return self.peek_now(key, rate, burst, time.monotonic())

    def peek_now(self, key: str, rate: float, burst: int, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + max(0.0, now - last) * rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / rate

    def take_now(self, key: str, rate: float, burst: int, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + max(0.0, now - last) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        if key not in self._buckets and len(self._buckets) >= MAX_MEMORY_BUCKETS:
            self._sweep(rate, burst, now)
        self._buckets[key] = (tokens, now)
        return wait

    def _sweep(self, rate: float, burst: int, now: float) -> None:
        # A bucket that has refilled completely is the same as no bucket at all.
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * rate >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_MEMORY_BUCKETS:
            self._buckets.clear()

    async def close(self) -> None:
        self._buckets.clear()


#: A username's own failure budget is this many times one address's: guessing one account
#: from many addresses is slowed too, while one noisy address cannot lock its owner out fast.
LOGIN_USER_FACTOR = 10


class RateLimiter:
    """Limits for credentials (``rate``/``burst``), for anonymous IPs (``anon_*``) and for
    failed logins (``login_*``: per username and address, and per username).

    A rate of 0 turns that limit off.
    """

    def __init__(
        self,
        buckets: Buckets,
        *,
        rate: float,
        burst: int,
        anon_rate: float,
        anon_burst: int,
        login_rate: float = 0.0,
        login_burst: int = 1,
    ) -> None:
        self.buckets = buckets
        self.rate = rate
        self.burst = max(1, burst)
        self.anon_rate = anon_rate
        self.anon_burst = max(1, anon_burst)
        self.login_rate = login_rate
        self.login_burst = max(1, login_burst)
        self._memory = buckets if isinstance(buckets, MemoryBuckets) else None

    def credential_now(self, credential: str) -> int | None:
        """The in-process answer without a coroutine (the ingest hot path), or None when the
        buckets live in Redis and :meth:`credential` must be awaited."""
        if self.rate <= 0:
            return 0
        if self._memory is None:
            return None
        return _ceil(
            self._memory.take_now("cred:" + credential, self.rate, self.burst, time.monotonic())
        )

    async def credential(self, credential: str) -> int:
        """Seconds to wait (0 = go ahead) for a request made with ``credential``."""
        if self.rate <= 0:
            return 0
        return _ceil(await self.buckets.take("cred:" + credential, self.rate, self.burst))

    async def anonymous(self, ip: str) -> int:
        """Seconds to wait (0 = go ahead) for an unauthenticated request from ``ip``."""
        if self.anon_rate <= 0:
            return 0
        return _ceil(await self.buckets.take("ip:" + ip, self.anon_rate, self.anon_burst))

    def _login_buckets(self, username: str, ip: str) -> list[tuple[str, float, int]]:
        # Keys hold at most 150 characters of the name: usernames are capped like that,
        # and a made-up megabyte of name must not become a megabyte of key.
        name = username[:150]
        factor = LOGIN_USER_FACTOR
        return [
            (f"login:{ip}:{name}", self.login_rate, self.login_burst),
            (f"login-user:{name}", self.login_rate * factor, self.login_burst * factor),
        ]

    async def login_blocked(self, username: str, ip: str) -> int:
        """Seconds until ``username`` may try a password again from ``ip`` (0 = now).

        Asked before the password is checked, so a throttled guesser learns nothing, not
        even from the right password. Usernames that do not exist are throttled the same.
        """
        if self.login_rate <= 0:
            return 0
        waits = [await self.buckets.peek(k, r, b) for k, r, b in self._login_buckets(username, ip)]
        return _ceil(max(waits))

    async def login_failed(self, username: str, ip: str) -> None:
        """Count a wrong password for ``username`` from ``ip``."""
        if self.login_rate <= 0:
            return
        for key, rate, burst in self._login_buckets(username, ip):
            await self.buckets.take(key, rate, burst)

    async def close(self) -> None:
        await self.buckets.close()


def _ceil(wait: float) -> int:
    return 0 if wait <= 0 else max(1, math.ceil(wait))
