"""The bus interface both engines implement (see the package's docstring)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable

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
