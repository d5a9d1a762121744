"""The live bus: how committed events and other live messages reach every server process.

Two engines share one small interface: :class:`~tidings.bus.memory.MemoryBus` for a single
process (the default) and :class:`~tidings.bus.redis.RedisBus` when several processes serve
one database. Besides publish/subscribe on topics, a bus keeps one kind of shared state that
live features need across processes: sets of members stamped with a time, counted over a
recent window (who applauded lately, which users have a stream open somewhere).
"""

from __future__ import annotations

from tidings.bus.base import EVENTS, Bus, Deliver
from tidings.config import redact_url
from tidings.errors import ConfigError

__all__ = ["EVENTS", "Bus", "Deliver", "open_bus"]


def open_bus(url: str, scope: str = "") -> Bus:
    """The engine for ``url`` (``memory://`` or ``redis://...``); not started yet.

    ``scope`` separates installations sharing one Redis (see storage/installation.py).
    """
    if url.startswith("memory://"):
        from tidings.bus.memory import MemoryBus

        return MemoryBus()
    if url.startswith(("redis://", "rediss://")):
        try:
            from tidings.bus.redis import RedisBus
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"bus_url: the redis bus needs {exc.name} (pip install 'tidings[redis]')"
            ) from None
        return RedisBus(url, scope)
    raise ConfigError(
        f"bus_url: unsupported scheme in {redact_url(url)!r} (use memory:// or redis://)"
    )
