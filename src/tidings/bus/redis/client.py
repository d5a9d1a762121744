"""One way to open a Redis client, shared by the bus and the rate-limit buckets."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

#: A command retries a dropped connection briefly (a Redis restart or failover), then
#: fails, so an outage is noticed in well under a second rather than after redis-py's
#: default ten retries. Rate limits retry as briefly: every request waits for them.
RETRY = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=3)


def connect(url: str) -> aioredis.Redis:
    return aioredis.from_url(url, retry=RETRY)
