"""Rate-limit token buckets shared through Redis, so every process and host enforces the
same limits: one Lua script per hit, on the Redis clock. They keep the promise of
:class:`tidings.core.ratelimit.Buckets`.

A Redis outage lets requests through (logged): rate limiting must not take ingest down.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from tidings.bus.redis.client import connect
from tidings.redis_keys import key_prefix

log = logging.getLogger("tidings.ratelimit")

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


class RedisBuckets:
    """Buckets shared through Redis, under ``prefix``."""

    def __init__(self, url: str, prefix: str = RATE_LIMITS) -> None:
        self.prefix = prefix
        self._redis = connect(url)
        self._script: Any = self._redis.register_script(_LUA)
        self._failing = False

    async def take(self, key: str, rate: float, burst: int) -> float:
        return await self._run(key, rate, burst, 1)

    async def peek(self, key: str, rate: float, burst: int) -> float:
        return await self._run(key, rate, burst, 0)

    async def _run(self, key: str, rate: float, burst: int, cost: int) -> float:
        try:
            wait = await self._script(keys=[self.prefix + key], args=[rate, burst, cost])
        except (RedisError, OSError) as exc:
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


def scoped_buckets(url: str, scope: str) -> RedisBuckets:
    """Buckets at ``url`` for the installation ``scope`` (keeps installations sharing one
    Redis apart)."""
    return RedisBuckets(url, key_prefix(scope, "rl"))
