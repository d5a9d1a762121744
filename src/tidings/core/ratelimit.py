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

from tidings.redis_keys import key_prefix

log = logging.getLogger("tidings.ratelimit")

#: Idle buckets kept in process before the full ones are swept out.
MAX_MEMORY_BUCKETS = 100_000
#: Where buckets live in Redis when no installation id scopes them.
RATE_LIMITS = key_prefix("", "rl")

_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3] or '1')
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
if tokens < 1 then
  wait = (1 - tokens) / rate
end
if cost == 0 then
  return tostring(wait)
end
if tokens >= 1 then
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class Buckets(Protocol):
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


class RedisBuckets:
    """Buckets shared through Redis, under ``prefix``."""

    def __init__(self, url: str, prefix: str = RATE_LIMITS) -> None:
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
        return await self._run(key, rate, burst, 1)

    async def peek(self, key: str, rate: float, burst: int) -> float:
        return await self._run(key, rate, burst, 0)

    async def _run(self, key: str, rate: float, burst: int, cost: int) -> float:
        try:
            wait = await self._script(keys=[self.prefix + key], args=[rate, burst, cost])
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


def open_buckets(url: str, scope: str = "") -> Buckets:
    """``redis://``/``rediss://`` share buckets through Redis; anything else is in-process.

    ``scope`` (the installation id) keeps installations sharing one Redis apart.
    """
    if url.startswith(("redis://", "rediss://")):
        return RedisBuckets(url, key_prefix(scope, "rl"))
    return MemoryBuckets()
