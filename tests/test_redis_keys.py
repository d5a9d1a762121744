"""Every Redis key Tidings writes lives under its installation's prefix."""

from __future__ import annotations

from tidings.app import open_buckets
from tidings.bus.redis import RedisBus
from tidings.bus.redis.buckets import RATE_LIMITS
from tidings.redis_keys import key_prefix


def test_prefixes_nest_the_part_under_the_installation() -> None:
    assert key_prefix("42") == "tidings:42:"
    assert key_prefix("42", "rl") == "tidings:42:rl:"
    assert key_prefix("", "rl") == "tidings:rl:" == RATE_LIMITS


def test_the_bus_and_the_rate_limits_share_the_installation_prefix() -> None:
    bus = RedisBus("redis://127.0.0.1:6379/0", "42")
    buckets = open_buckets("redis://127.0.0.1:6379/0", "42")
    assert bus.prefix == key_prefix("42")
    assert buckets.prefix.startswith(bus.prefix)  # type: ignore[attr-defined]
