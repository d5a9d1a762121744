"""The Redis engines: the bus (pub/sub and stamped sets) and the shared rate-limit buckets.

Both are scoped by the installation's key prefix (see :mod:`tidings.redis_keys`) and fail
fast on a lost connection (see :mod:`tidings.bus.redis.client`).
"""

from __future__ import annotations

from tidings.bus.redis.pubsub import RedisBus

__all__ = ["RedisBus"]
