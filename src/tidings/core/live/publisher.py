"""Committed events from the writer thread onto the bus, in commit order.

The writer calls :meth:`Publisher.committed` after each commit; the new events are serialised
once there and handed to the event loop, where one task publishes them in order. The writer
never waits for the bus: a full outbox drops a publication (logged), and the events it held
stay recoverable from storage by reconnecting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from tidings.bus import EVENTS, Bus
from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.model.wire import event_dict, stored_of
from tidings.storage.base import Storage

log = logging.getLogger("tidings.live")

#: Publications waiting for the bus before new ones are dropped (and logged).
OUTBOX_LIMIT = 10_000


class Publisher:
    """``wanted()`` says whether anyone may follow events now (see :meth:`committed`)."""

    def __init__(self, bus: Bus, storage: Storage, wanted: Callable[[], bool]) -> None:
        self.bus = bus
        self.storage = storage
        self._wanted = wanted
        #: Source names by id, read again when a commit names one not seen yet.
        self.sources: dict[int, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_LIMIT)

    def start(self) -> asyncio.Task[None]:
        self._loop = asyncio.get_running_loop()
        return asyncio.create_task(self._run(), name="tidings-live-publisher")

    def committed(self, drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        """The writer's ``on_commit`` hook; runs in the writer thread after each commit."""
        if not self._wanted():
            # Nobody in this process follows events and no other process can: building the
            # wire payload cost ~18% of batch ingest for nothing. A stream that subscribes
            # after this check replays committed events from storage, so none is missed.
            return
        new = [(d, r) for d, r in zip(drafts, results, strict=True) if not r.duplicate]
        if not new or self._loop is None:
            return
        missing = {d.source_id for d, _ in new} - self.sources.keys()
        if missing:
            self.sources = self.storage.source_names()
        payload = orjson.dumps([self._wire(d, r.id) for d, r in new])
        self._loop.call_soon_threadsafe(self._enqueue, payload)

    def _wire(self, draft: EventDraft, event_id: int) -> dict[str, Any]:
        source = self.sources.get(draft.source_id, str(draft.source_id))
        found = event_dict(stored_of(draft, event_id, source), raw_json=True)
        found["_ts"] = draft.timestamp
        return found

    def _enqueue(self, payload: bytes) -> None:
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            # Events are committed; live readers can recover them by reconnecting.
            log.error("live outbox full; dropped a publication")

    async def _run(self) -> None:
        while True:
            payload = await self._outbox.get()
            try:
                await self.bus.publish(EVENTS, payload)
            except Exception as exc:  # noqa: BLE001 - a bus hiccup must not stop publishing
                log.error("publishing to the bus failed: %s", exc)
