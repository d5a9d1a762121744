"""One open stream's bounded buffer, and the slow-reader rule that keeps it bounded.

Items arrive in *parts* (the sequences the hub offers), kept as given so that parts shared
between subscribers stay shared. When a reader falls so far behind that its buffer would
overflow, the buffer is emptied and the subscription marked overflowed: while it still
replays from storage it may start over (storage has everything); once it follows live, it is
dropped, so the server's memory never grows with a slow reader.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from tidings.model.records import EventFilter

T = TypeVar("T")


class Overflow(Exception):
    """The subscription's buffer overflowed: the reader is too slow to keep up."""


class Ended(Exception):
    """The server is shutting down: the stream should end so the client reconnects."""


class Subscription(Generic[T]):
    """A bounded buffer of items for one open stream; the limit counts items, not parts."""

    def __init__(
        self,
        release: Callable[[Subscription[Any]], None],
        topic: str,
        name: str,
        uid: int,
        limit: int,
        flt: EventFilter | None = None,
    ) -> None:
        self._release = release
        #: What it receives: committed events (``EVENTS``) or the messages of a topic.
        self.topic = topic
        #: How the topic's handler tells it apart (a notify channel id, say).
        self.name = name
        #: Who opened it (0: nobody in particular), for presence and addressing.
        self.uid = uid
        self.limit = limit
        #: The hub's filter group (event streams only); None means every event.
        self.filter = flt
        self.overflowed = False
        #: Set once replay is over: from then on an overflow drops the reader.
        self.following = False
        #: Set when the reader is dropped, so a writer stuck on a full socket can be ended.
        self.dropped = asyncio.Event()
        self._parts: deque[Sequence[T]] = deque()
        self._count = 0
        #: The reader's pending wait, if it is waiting: a bare future is cheaper to wake
        #: than an asyncio.Event, and a tick wakes every subscriber.
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._ended = False
        self._ping = False
        self._delivered = False

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def buffered(self) -> int:
        """Items waiting for the reader."""
        return self._count

    def end(self) -> None:
        self._ended = True
        self._wake()

    def offer(self, items: Sequence[T]) -> None:
        if self.overflowed or self._closed or not items:
            return
        # One delivery into an empty buffer is always taken (a commit can carry more events
        # than the limit); memory stays bounded by the limit plus one commit's events.
        if self._count and self._count + len(items) > self.limit:
            self.overflowed = True
            self._parts.clear()
            self._count = 0
            if self.following:
                self.dropped.set()
        else:
            self._parts.append(items)
            self._count += len(items)
            self._delivered = True
        self._wake()

    async def get_parts(self, timeout: float | None = None) -> list[Sequence[T]] | None:
        """Everything buffered, as the parts it was offered in, waiting for it; None when a
        keepalive is due instead (the hub's keepalive round, or ``timeout`` seconds when
        given).

        Raises:
            Overflow: the buffer overflowed since the last call.
            Ended: the server is shutting down.
        """
        if not self._parts and not self.overflowed and not self._ended and not self._ping:
            self._waiter = waiter = asyncio.get_running_loop().create_future()
            try:
                if timeout is None:
                    await waiter
                else:
                    async with asyncio.timeout(timeout):
                        await waiter
            except TimeoutError:
                return None
            finally:
                self._waiter = None
        if self._ended:
            raise Ended
        if self.overflowed:
            raise Overflow
        if not self._parts:
            self._ping = False
            return None
        parts = list(self._parts)
        self._parts.clear()
        self._count = 0
        return parts

    async def get(self, timeout: float | None = None) -> list[T] | None:
        """Like :meth:`get_parts`, but the items in one list."""
        parts = await self.get_parts(timeout)
        if parts is None:
            return None
        return [item for part in parts for item in part]

    def ping(self) -> None:
        """Ask an idle reader for a keepalive line (one that got nothing since last time)."""
        if not self._delivered:
            self._ping = True
            self._wake()
        self._delivered = False

    def restart(self) -> None:
        """Forget the buffer and the overflow (the caller re-reads storage instead)."""
        self._parts.clear()
        self._count = 0
        self.overflowed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._parts.clear()
            self._count = 0
            self._release(self)
