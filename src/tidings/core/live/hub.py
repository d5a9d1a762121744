"""The per-process end of the bus: fans committed events out to open streams, hands other
topics to their handlers, keeps idle streams alive and ends them all at shutdown.

Every process's hub receives every publication, coalesces events for a short tick, and
offers them to its subscriptions. Fan-out cost is kept per *filter* and per *wake-up*, not
per event per subscriber: streams with equal filters form one group, so a tick's events are
matched once per group; the group's matches are one shared :class:`LiveBatch` whose wire
bytes are built once per format and handed to every member, which writes everything it has
pending in one write.

Other live features (a compat slice's notify channels, say) ride on the same bus without
the hub knowing them: they :meth:`Hub.listen` to a topic of their own, open message
subscriptions with :meth:`Hub.subscribe`, and run their periodic rounds alongside the hub
(:meth:`Hub.run_while_open`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import orjson

from tidings.bus import EVENTS, Bus
from tidings.core.live.event import LiveBatch, LiveEvent, matches
from tidings.core.live.publisher import Publisher
from tidings.core.live.subscription import Subscription
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter, InsertResult
from tidings.storage.base import Storage

#: Fan-out coalescing: events arriving within one tick reach a subscriber in one write.
TICK_SECONDS = 0.02
TICK_PER_SUBSCRIBER = 0.00001
MAX_TICK_SECONDS = 0.1

Handler = Callable[[bytes], None]
Job = Callable[[], Coroutine[Any, Any, None]]
S = TypeVar("S", bound=Subscription[Any])


class Hub:
    """One per process; the app starts it once extensions have registered with it."""

    def __init__(
        self,
        bus: Bus,
        storage: Storage,
        *,
        buffer: int = 1000,
        tick: float = TICK_SECONDS,
        keepalive: float = 15.0,
    ) -> None:
        self.bus = bus
        self.buffer = buffer
        self.tick = tick
        self.keepalive = keepalive
        #: This process's name on the bus (distinct per process and start).
        self.instance = secrets.token_hex(4)
        self.publisher = Publisher(bus, storage, self._followed)
        self._events: set[Subscription[LiveEvent]] = set()
        #: Event streams by filter (None: every event), so a tick is matched once per filter.
        self._groups: dict[EventFilter | None, dict[Subscription[LiveEvent], None]] = {}
        self._handlers: dict[str, Handler] = {}
        self._listeners: dict[str, dict[Subscription[bytes], None]] = {}
        self._jobs: list[tuple[str, Job]] = []
        self._present: dict[int, int] = {}
        self._pending: list[LiveEvent] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.last_id = 0
        self.ending = False

    # -- extensions ----------------------------------------------------------------------------
    def listen(self, topic: str, handler: Handler) -> None:
        """Hand every payload published on ``topic`` to ``handler``, on the event loop, in
        every process. Called before :meth:`start`, which subscribes the bus to it."""
        self._handlers[topic] = handler

    def run_while_open(self, name: str, job: Job) -> None:
        """Run ``job`` from :meth:`start` until :meth:`close` (a periodic round, say)."""
        self._jobs.append((name, job))

    async def publish(self, topic: str, payload: bytes) -> None:
        """Publish on a topic some :meth:`listen` handler reads, in every process."""
        await self.bus.publish(topic, payload)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.bus.start(self._deliver, [EVENTS, *self._handlers])
        self._tasks = [
            self.publisher.start(),
            asyncio.create_task(self._keepalive_loop(), name="tidings-keepalive"),
            *(asyncio.create_task(job(), name=name) for name, job in self._jobs),
        ]

    def end_streams(self) -> None:
        """End every open stream (at shutdown), so the server need not wait for clients
        that would keep a stream open forever; they reconnect and resume elsewhere."""
        self.ending = True
        for sub in self._streams():
            sub.end()

    def end_streams_threadsafe(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.end_streams)

    async def close(self) -> None:
        self.end_streams()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.bus.close()

    def outage(self) -> str | None:
        """Why ingest must be refused now, or None: the writer's ``refuse`` hook."""
        return None if self.bus.connected else "the live event bus is unreachable"

    def committed(self, drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        """The writer's ``on_commit`` hook (see :class:`Publisher`)."""
        self.publisher.committed(drafts, results)

    def _followed(self) -> bool:
        # With an in-process bus, nobody can follow events but this process's streams.
        return bool(self._events) or not self.bus.in_process

    # -- delivery (bus -> subscriptions) -------------------------------------------------------
    def _deliver(self, topic: str, payload: bytes) -> None:
        if topic != EVENTS:
            handler = self._handlers.get(topic)
            if handler is not None:
                handler(payload)
            return
        for data in orjson.loads(payload):
            ts = data.pop("_ts")
            self._pending.append(LiveEvent(data, ts))
        if self._flush_handle is None and self._loop is not None:
            # Many subscribers: wait a little longer per flush, so each wakes and writes
            # less often (fan-out cost is per wake-up, not per event).
            delay = min(MAX_TICK_SECONDS, self.tick + TICK_PER_SUBSCRIBER * len(self._events))
            self._flush_handle = self._loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        batch.sort(key=lambda e: e.id)
        self.last_id = max(self.last_id, batch[-1].id)
        every = LiveBatch(batch)
        for flt, group in list(self._groups.items()):
            matched = every if flt is None else LiveBatch(e for e in every if matches(flt, e))
            if matched:
                for sub in list(group):
                    sub.offer(matched)

    # -- subscriptions -------------------------------------------------------------------------
    def subscribe_events(self, uid: int, flt: EventFilter | None = None) -> Subscription[LiveEvent]:
        """A subscription to committed events that pass ``flt`` (every event when None)."""
        key = None if flt is None or flt == EventFilter() else flt
        sub: Subscription[LiveEvent] = Subscription(
            self._remove, EVENTS, EVENTS, uid, self.buffer, key
        )
        self._events.add(sub)
        self._groups.setdefault(key, {})[sub] = None
        return self._opened(sub)

    def subscribe(self, uid: int, topic: str, name: str) -> Subscription[bytes]:
        """A subscription to lines that ``topic``'s handler offers it; ``name`` is how the
        handler tells it apart (see :meth:`listeners`)."""
        sub: Subscription[bytes] = Subscription(self._remove, topic, name, uid, self.buffer)
        self._listeners.setdefault(topic, {})[sub] = None
        return self._opened(sub)

    def listeners(self, topic: str) -> list[Subscription[bytes]]:
        """The open subscriptions to ``topic``, oldest first."""
        return list(self._listeners.get(topic, ()))

    def _opened(self, sub: S) -> S:
        if sub.uid > 0:
            self._present[sub.uid] = self._present.get(sub.uid, 0) + 1
        if self.ending:
            sub.end()
        return sub

    def _remove(self, sub: Subscription[Any]) -> None:
        if sub.topic == EVENTS:
            self._events.discard(sub)
            group = self._groups.get(sub.filter)
            if group is not None:
                group.pop(sub, None)
                if not group:
                    del self._groups[sub.filter]
        else:
            listeners = self._listeners.get(sub.topic)
            if listeners is not None:
                listeners.pop(sub, None)
        if sub.uid > 0:
            left = self._present.get(sub.uid, 0) - 1
            if left > 0:
                self._present[sub.uid] = left
            else:
                self._present.pop(sub.uid, None)

    def _streams(self) -> list[Subscription[Any]]:
        streams: list[Subscription[Any]] = list(self._events)
        for listeners in self._listeners.values():
            streams.extend(listeners)
        return streams

    def present_local(self) -> set[int]:
        """Users with at least one open stream in this process."""
        return set(self._present)

    async def _keepalive_loop(self) -> None:
        # One timer for every stream, instead of a timeout per wait on the fan-out path.
        while True:
            await asyncio.sleep(self.keepalive)
            for sub in self._streams():
                sub.ping()
