"""The live bus: how committed events and other live messages reach every server process.

Two engines share one small interface: :class:`~tidings.bus.memory.MemoryBus` for a single
process (the default) and :class:`~tidings.bus.redis.RedisBus` when several processes serve
one database. Besides publish/subscribe on topics, a bus keeps one kind of shared state that
live features need across processes: sets of members stamped with a time, counted over a
recent window (who applauded lately, which users have a stream open somewhere).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable

from tidings.config import redact_url
from tidings.errors import ConfigError

#: Topic of committed events (payload: a JSON array of native event objects).
EVENTS = "events"

Deliver = Callable[[str, bytes], None]


class Bus(ABC):
    """Publish/subscribe of opaque payloads by topic, plus shared stamped sets.

    ``deliver(topic, payload)`` is called on the event loop for every payload published on
    a subscribed topic, including this process's own, in publication order per publishing
    process.
    """

    #: True when every subscriber of this bus lives in this process, so a publication no
    #: local subscriber waits for can be skipped (see Hub.committed).
    in_process: bool = False

    @abstractmethod
    async def start(self, deliver: Deliver, topics: Collection[str]) -> None:
        """Connect and begin delivering ``topics``; raises when the bus cannot be reached."""

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
    async def stamp(self, key: str, members: Iterable[str], at: float) -> None:
        """Stamp each of ``members`` of the shared set ``key`` with the time ``at`` (UNIX
        seconds), adding those not in it yet; a later stamp replaces an earlier one."""

    @abstractmethod
    async def count_since(self, key: str, since: float, forget_until: float) -> int:
        """Members of ``key`` stamped after ``since``, once those stamped at or before
        ``forget_until`` are forgotten (so a set does not grow with members gone quiet)."""


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
