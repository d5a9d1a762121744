"""The live bus: how committed events and notify messages reach every server process.

Two engines share one small interface: :class:`~tidings.bus.memory.MemoryBus` for a single
process (the default) and :class:`~tidings.bus.redis.RedisBus` when several processes serve
one database. A bus also keeps the little shared state that live features need across
processes: who applauded when, and which users have a stream open.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from tidings.config import redact_url
from tidings.errors import ConfigError

#: Topic of committed events (payload: a JSON array of native event objects).
EVENTS = "events"
#: Topic of notify messages (payload: one JSON notify message with its routing fields).
NOTIFY = "notify"

Deliver = Callable[[str, bytes], None]


class Bus(ABC):
    """Publish/subscribe of opaque payloads by topic, plus shared live counters.

    ``deliver(topic, payload)`` is called on the event loop for every published payload,
    including this process's own, in publication order per publishing process.
    """

    #: True when every subscriber of this bus lives in this process, so a publication no
    #: local subscriber waits for can be skipped (see Hub.committed).
    in_process: bool = False

    @abstractmethod
    async def start(self, deliver: Deliver) -> None:
        """Connect and begin delivering; raises when the bus cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the bus cannot be reached."""

    @property
    def connected(self) -> bool:
        """False while the bus is known to be unreachable. Ingest is refused then: events
        committed meanwhile would never reach the live streams of other processes."""
        return True

    @abstractmethod
    async def publish(self, topic: str, payload: bytes) -> None: ...

    @abstractmethod
    async def applaud(self, uid: int, now: float) -> None:
        """Record that ``uid`` applauded at ``now`` (UNIX seconds); repeats refresh it."""

    @abstractmethod
    async def applause_level(self, now: float, window: float) -> int:
        """Distinct users who applauded in ``(now - window, now]``; forgets older entries."""

    @abstractmethod
    async def present_users(self, local: Iterable[int], now: float, ttl: float) -> int:
        """Announce this process's users with an open stream and count them over every
        process. An announcement counts for ``ttl`` seconds, so a crashed process's users
        stop counting by themselves."""


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
