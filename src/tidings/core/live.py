"""Live fan-out: committed events and notify messages from the bus to open streams.

Flow: the writer thread calls :meth:`Hub.committed` after each commit; the hub serialises the
new events once and publishes them on the bus from the event loop (one ordered publisher).
Every process's hub receives every publication, coalesces events for a short tick, and
offers them to its subscriptions. Each subscription has a bounded buffer: when a reader falls
so far behind that the buffer would overflow, the buffer is emptied and the subscription is
marked overflowed, so the server's memory never grows with a slow reader.

Fan-out cost is kept per *filter* and per *wake-up*, not per event per subscriber: streams
with equal filters form one group, so a tick's events are matched once per group; the
group's matches are one shared :class:`LiveBatch` whose wire bytes are built once per format
and handed to every member, which writes everything it has pending in one write.

Replay-then-follow (no gap, no duplicate): a stream subscribes *first*, then reads storage
after its cursor until caught up, then drains its buffer skipping ids it already sent. An
event committed before the subscription is in storage; one committed after it reaches the
buffer (it is published only after commit). If the buffer overflows while storage is still
being read, the stream empties it and reads storage again, since storage has everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

import orjson

from tidings.bus import EVENTS, NOTIFY, Bus
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter, InsertResult
from tidings.model.wire import event_dict, stored_of
from tidings.storage.base import Storage

log = logging.getLogger("tidings.live")
T = TypeVar("T")

#: Fan-out coalescing: events arriving within one tick reach a subscriber in one write.
TICK_SECONDS = 0.02
TICK_PER_SUBSCRIBER = 0.00001
MAX_TICK_SECONDS = 0.1
#: Publications waiting for the bus before new ones are dropped (and logged).
OUTBOX_LIMIT = 10_000


class Overflow(Exception):
    """The subscription's buffer overflowed: the reader is too slow to keep up."""


class Ended(Exception):
    """The server is shutting down: the stream should end so the client reconnects."""


class LiveEvent:
    """One committed event as the live streams need it: filter fields and wire bytes."""

    __slots__ = ("_line", "_sse", "data", "id", "properties", "ts")

    def __init__(self, data: dict[str, Any], ts: int) -> None:
        self.data = data
        self.id: int = data["id"]
        self.ts = ts
        self.properties: dict[str, Any] = data.get("properties") or {}
        self._line: bytes | None = None
        self._sse: bytes | None = None

    @property
    def sse(self) -> bytes:
        """The event as one Server-Sent Events frame (computed once)."""
        if self._sse is None:
            self._sse = b"id: %d\ndata: %s\n\n" % (self.id, self.json)
        return self._sse

    @property
    def json(self) -> bytes:
        """The native event object as JSON (computed once, shared by every subscriber)."""
        if self._line is None:
            self._line = orjson.dumps(self.data)
        return self._line


class LiveBatch(list[LiveEvent]):
    """Events in id order from one tick that one filter group matched; shared by every
    subscriber of the group, so its wire bytes are built once per format."""

    __slots__ = ("_ndjson", "_sse")

    def __init__(self, events: Iterable[LiveEvent] = ()) -> None:
        super().__init__(events)
        self._sse: bytes | None = None
        self._ndjson: bytes | None = None

    def frames(self, sse: bool) -> bytes:
        if sse:
            if self._sse is None:
                self._sse = b"".join([e.sse for e in self])
            return self._sse
        if self._ndjson is None:
            self._ndjson = b"".join([e.json + b"\n" for e in self])
        return self._ndjson


def frames(events: Sequence[LiveEvent], sse: bool) -> bytes:
    """``events`` as SSE frames or NDJSON lines (the shared bytes for a :class:`LiveBatch`)."""
    return (events if isinstance(events, LiveBatch) else LiveBatch(events)).frames(sse)


def _prop_text(value: Any) -> str | None:
    """A property value as the storage engines compare it with ``prop.<key>=<text>``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return orjson.dumps(value).decode()


def matches(flt: EventFilter, event: LiveEvent) -> bool:
    """Whether ``event`` passes the same filter the list endpoint applies in storage."""
    data = event.data
    if flt.source is not None and data["source"] != flt.source:
        return False
    if flt.namespace is not None and data["namespace"] != flt.namespace:
        return False
    if flt.names and data["name"] not in flt.names:
        return False
    if flt.user_id is not None and data["user_id"] != flt.user_id:
        return False
    if flt.session_id is not None and data["session_id"] != flt.session_id:
        return False
    if flt.from_us is not None and event.ts < flt.from_us:
        return False
    if flt.to_us is not None and event.ts >= flt.to_us:
        return False
    return all(_prop_text(event.properties.get(key)) == want for key, want in flt.props)


class Subscription(Generic[T]):
    """A bounded buffer of items for one open stream.

    Items arrive in *parts* (the sequences passed to :meth:`offer`), kept as given so that
    parts shared between subscribers stay shared; the limit counts items, not parts.
    """

    def __init__(
        self,
        hub: Hub,
        kind: str,
        uid: int,
        limit: int,
        flt: EventFilter | None = None,
    ) -> None:
        self.hub = hub
        self.kind = kind
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
            self.hub._remove(self)


class Hub:
    """The per-process end of the bus: publishes commits, fans out to subscriptions,
    routes notify messages and runs the applause broadcast."""

    def __init__(
        self,
        bus: Bus,
        storage: Storage,
        *,
        buffer: int = 1000,
        applause_interval: float = 1.0,
        applause_window: float = 5.0,
        tick: float = TICK_SECONDS,
        keepalive: float = 15.0,
    ) -> None:
        self.bus = bus
        self.storage = storage
        self.buffer = buffer
        self.applause_interval = applause_interval
        self.applause_window = applause_window
        self.tick = tick
        self.keepalive = keepalive
        self.instance = secrets.token_hex(4)
        self._channel_numbers = itertools.count(1)
        self._events: set[Subscription[LiveEvent]] = set()
        #: Event streams by filter (None: every event), so a tick is matched once per filter.
        self._groups: dict[EventFilter | None, dict[Subscription[LiveEvent], None]] = {}
        self._notify: set[Subscription[bytes]] = set()
        self._present: dict[int, int] = {}
        self._pending: list[LiveEvent] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._sources: dict[int, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_LIMIT)
        self._tasks: list[asyncio.Task[None]] = []
        self.last_id = 0
        self.applause_sent = 0
        self.ending = False

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.bus.start(self._deliver)
        self._tasks = [
            asyncio.create_task(self._publisher(), name="tidings-live-publisher"),
            asyncio.create_task(self._applause_loop(), name="tidings-applause"),
            asyncio.create_task(self._keepalive_loop(), name="tidings-keepalive"),
        ]

    def end_streams(self) -> None:
        """End every open stream (at shutdown), so the server need not wait for clients
        that would keep a stream open forever; they reconnect and resume elsewhere."""
        self.ending = True
        for events in list(self._events):
            events.end()
        for notify in list(self._notify):
            notify.end()

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

    # -- publishing (writer thread -> loop -> bus) ---------------------------------------------
    def committed(self, drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        """The writer's ``on_commit`` hook; runs in the writer thread after each commit."""
        if self.bus.in_process and not self._events:
            # Nobody in this process follows events and no other process can: building the
            # wire payload cost ~18% of batch ingest for nothing. A stream that subscribes
            # after this check replays committed events from storage, so none is missed.
            return
        new = [(d, r) for d, r in zip(drafts, results, strict=True) if not r.duplicate]
        if not new or self._loop is None:
            return
        missing = {d.source_id for d, _ in new} - self._sources.keys()
        if missing:
            self._sources = self.storage.source_names()
        payload = orjson.dumps([self._wire(d, r.id) for d, r in new])
        self._loop.call_soon_threadsafe(self._enqueue, payload)

    def _wire(self, draft: EventDraft, event_id: int) -> dict[str, Any]:
        source = self._sources.get(draft.source_id, str(draft.source_id))
        found = event_dict(stored_of(draft, event_id, source), raw_json=True)
        found["_ts"] = draft.timestamp
        return found

    def _enqueue(self, payload: bytes) -> None:
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            # Events are committed; live readers can recover them by reconnecting.
            log.error("live outbox full; dropped a publication")

    async def _publisher(self) -> None:
        while True:
            payload = await self._outbox.get()
            try:
                await self.bus.publish(EVENTS, payload)
            except Exception as exc:  # noqa: BLE001 - a bus hiccup must not stop publishing
                log.error("publishing to the bus failed: %s", exc)

    # -- delivery (bus -> subscriptions) -------------------------------------------------------
    def _deliver(self, topic: str, payload: bytes) -> None:
        if topic == EVENTS:
            for data in orjson.loads(payload):
                ts = data.pop("_ts")
                self._pending.append(LiveEvent(data, ts))
            if self._flush_handle is None and self._loop is not None:
                # Many subscribers: wait a little longer per flush, so each wakes and writes
                # less often (fan-out cost is per wake-up, not per event).
                delay = min(MAX_TICK_SECONDS, self.tick + TICK_PER_SUBSCRIBER * len(self._events))
                self._flush_handle = self._loop.call_later(delay, self._flush)
        elif topic == NOTIFY:
            self._route(orjson.loads(payload))

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

    def _route(self, message: dict[str, Any]) -> None:
        line = orjson.dumps(
            {
                "sender_user_id": message.get("sender_user_id", 0),
                "sender_channel_id": message.get("sender_channel_id", ""),
                "name": message.get("name", ""),
                "message": message.get("message"),
            },
            option=orjson.OPT_APPEND_NEWLINE,
        )
        to_all = bool(message.get("to_all"))
        users = set(message.get("to_users") or ())
        channels = set(message.get("to_channels") or ())
        for sub in list(self._notify):
            if to_all or sub.uid in users or sub.kind in channels:
                sub.offer([line])

    # -- subscriptions -------------------------------------------------------------------------
    def subscribe_events(self, uid: int, flt: EventFilter | None = None) -> Subscription[LiveEvent]:
        """A subscription to committed events that pass ``flt`` (every event when None)."""
        key = None if flt is None or flt == EventFilter() else flt
        sub: Subscription[LiveEvent] = Subscription(self, "events", uid, self.buffer, key)
        self._events.add(sub)
        self._groups.setdefault(key, {})[sub] = None
        self._enter(uid)
        if self.ending:
            sub.end()
        return sub

    def subscribe_notify(self, uid: int) -> Subscription[bytes]:
        """A notify subscription; its ``kind`` is its channel id."""
        channel = f"{self.instance}:{uid}:{next(self._channel_numbers)}"
        sub: Subscription[bytes] = Subscription(self, channel, uid, self.buffer)
        self._notify.add(sub)
        self._enter(uid)
        if self.ending:
            sub.end()
        return sub

    def _enter(self, uid: int) -> None:
        if uid > 0:
            self._present[uid] = self._present.get(uid, 0) + 1

    def _remove(self, sub: Subscription[Any]) -> None:
        if sub in self._events:
            self._events.discard(sub)
            group = self._groups.get(sub.filter)
            if group is not None:
                group.pop(sub, None)
                if not group:
                    del self._groups[sub.filter]
        self._notify.discard(sub)
        if sub.uid > 0:
            left = self._present.get(sub.uid, 0) - 1
            if left > 0:
                self._present[sub.uid] = left
            else:
                self._present.pop(sub.uid, None)

    @property
    def subscribers(self) -> int:
        return len(self._events) + len(self._notify)

    def present_local(self) -> set[int]:
        """Users with at least one open stream in this process."""
        return set(self._present)

    # -- notify and applause -------------------------------------------------------------------
    async def send_notify(self, message: dict[str, Any]) -> None:
        await self.bus.publish(NOTIFY, orjson.dumps(message))

    async def applaud(self, uid: int) -> None:
        await self.bus.applaud(uid, time.time())

    async def applause_tick(self, previous: int) -> int:
        """One applause round: count, and broadcast to local notify streams unless the level
        stays at zero. Returns the level."""
        now = time.time()
        level = await self.bus.applause_level(now, self.applause_window)
        present = await self.bus.present_users(
            self.present_local(), now, max(3 * self.applause_interval, 3.0)
        )
        if level == 0 and previous == 0:
            return 0
        self.applause_sent += 1
        line = orjson.dumps(
            {
                "sender_user_id": 0,
                "sender_channel_id": "Server",
                "name": "applause",
                "message": {"level": level, "presentUsers": present},
            },
            option=orjson.OPT_APPEND_NEWLINE,
        )
        for sub in list(self._notify):
            sub.offer([line])
        return level

    async def _keepalive_loop(self) -> None:
        # One timer for every stream, instead of a timeout per wait on the fan-out path.
        while True:
            await asyncio.sleep(self.keepalive)
            for events in list(self._events):
                events.ping()
            for notify in list(self._notify):
                notify.ping()

    async def _applause_loop(self) -> None:
        level = 0
        failing = False
        while True:
            await asyncio.sleep(self.applause_interval)
            try:
                level = await self.applause_tick(level)
                failing = False
            except Exception as exc:  # noqa: BLE001 - keep broadcasting after a bus hiccup
                # Once per outage, not once per round for as long as it lasts.
                if not failing:
                    log.warning("applause rounds failing: %s", exc)
                failing = True
