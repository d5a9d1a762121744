"""Token-bucket rate limits, per credential and per client IP.

Each key (``cred:token:7``, ``ip:203.0.113.9``) has a bucket of ``burst`` tokens refilled at
``rate`` per second; a request takes one token or is refused with the seconds until one is
back. Buckets live in this process by default. With a Redis URL they live in Redis (one Lua
script per hit, using the Redis clock), so every process and host shares the same limits.
A Redis outage lets requests through (logged): rate limiting must not take ingest down.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

log = logging.getLogger("tidings.ratelimit")

#: Idle buckets kept in process before the full ones are swept out.
MAX_MEMORY_BUCKETS = 100_000

_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class Buckets(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token; 0.0 when allowed, else seconds until a token is back."""

    async def close(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process: ``{key: (tokens, last refill on the monotonic clock)}``."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, rate: float, burst: int) -> float:
        return self.take_now(key, rate, burst, time.monotonic())

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


class RedisBuckets:
    """Buckets shared through Redis, under ``prefix``."""

    def __init__(self, url: str, prefix: str = "tidings:rl:") -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import RedisError

            from tidings.bus.redis import RETRY
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise RuntimeError(
                "a redis:// rate-limit URL needs redis-py: pip install 'tidings[redis]'"
            ) from None
        self.prefix = prefix
        # Retry as briefly as the bus does: during an outage every request waits for this.
        self._redis: Any = aioredis.from_url(url, retry=RETRY)
        self._script: Any = self._redis.register_script(_LUA)
        self._errors: tuple[type[Exception], ...] = (RedisError, OSError)
        self._failing = False

    async def take(self, key: str, rate: float, burst: int) -> float:
        try:
            wait = await self._script(keys=[self.prefix + key], args=[rate, burst])
        except self._errors as exc:
            # Fail open, see the module docstring.
            self._warn(exc)
            return 0.0
        self._failing = False
        return float(wait)

    def _warn(self, exc: Exception) -> None:
        if not self._failing:
            log.warning("rate limits not enforced: Redis error %s", exc)
        self._failing = True

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    """Limits for credentials (``rate``/``burst``) and for anonymous IPs (``anon_*``).

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
    ) -> None:
        self.buckets = buckets
        self.rate = rate
        self.burst = max(1, burst)
        self.anon_rate = anon_rate
        self.anon_burst = max(1, anon_burst)
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

    async def close(self) -> None:
        await self.buckets.close()


def _ceil(wait: float) -> int:
    return 0 if wait <= 0 else max(1, math.ceil(wait))


def open_buckets(url: str) -> Buckets:
    """``redis://``/``rediss://`` share buckets through Redis; anything else is in-process."""
    if url.startswith(("redis://", "rediss://")):
        return RedisBuckets(url)
    return MemoryBuckets()
