"""Replay-then-follow: the body of every live stream, with no gap and no duplicate.

A stream subscribes *first*, then reads storage after its cursor until caught up, then
follows its buffer, skipping what it already sent. An event committed before the
subscription is in storage; one committed after it reaches the buffer (it is published only
after commit). If the buffer overflows while storage is still being read, the stream empties
it and reads storage again, since storage has everything; once it follows, an overflow ends
the stream with the slow-reader error (the client reconnects with its cursor).

What a stream reads and how it writes it is its :class:`Feed`: native events as SSE or NDJSON
(:class:`EventFeed`), or whatever a compat route sends (counters, notify lines).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, TypeVar

import orjson
from anyio import to_thread

from tidings.core.live.event import LiveBatch, LiveEvent, frames
from tidings.core.live.framing import Framing
from tidings.core.live.subscription import Ended, Overflow, Subscription
from tidings.model.records import EventFilter
from tidings.model.wire import event_dict
from tidings.storage.base import Storage

#: Stored events read per storage round trip while replaying.
REPLAY_PAGE = 500

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Feed(Protocol[T_contra]):
    """What one kind of live stream reads and writes."""

    async def catch_up(self, cursor: int) -> tuple[bytes, int, bool]:
        """What storage holds after ``cursor``: the bytes to send, the new cursor, and
        whether more is stored (a full page) so the stream should ask again at once."""

    async def follow(self, parts: Sequence[Sequence[T_contra]], cursor: int) -> tuple[bytes, int]:
        """The bytes for live items, skipping those at or before ``cursor`` (already sent
        from storage), and the new cursor."""


async def replay_then_follow(
    sub: Subscription[T],
    feed: Feed[T],
    framing: Framing,
    slow: dict[str, str],
    cursor: int | None = None,
    opening: bytes = b"",
) -> AsyncGenerator[bytes, None]:
    """``opening``, then (with a ``cursor``) what storage holds after it, then live items as
    they come, with keepalives while idle; ends on shutdown, or with ``slow`` as the
    framing's error when the reader falls behind."""
    if opening:
        yield opening
    if cursor is not None:
        while True:
            chunk, cursor, more = await feed.catch_up(cursor)
            if chunk:
                yield chunk
            if more:
                continue
            if not sub.overflowed:
                break
            # Fell behind while replaying: storage still has everything, read on.
            sub.restart()
    sub.following = True
    last = -1 if cursor is None else cursor
    while True:
        try:
            parts = await sub.get_parts()
        except Ended:
            return
        except Overflow:
            yield framing.error(slow)
            return
        if parts is None:
            yield framing.keepalive
            continue
        chunk, last = await feed.follow(parts, last)
        if chunk:
            yield chunk


class EventFeed:
    """Native events matching ``flt``: stored pages, then the live batches, in ``framing``."""

    def __init__(self, storage: Storage, flt: EventFilter, framing: Framing) -> None:
        self.storage = storage
        self.filter = flt
        self.framing = framing

    async def catch_up(self, cursor: int) -> tuple[bytes, int, bool]:
        # anyio's worker threads are the ones the app's other blocking calls share (the web
        # framework runs on them), not the loop's small default executor.
        rows = await to_thread.run_sync(self.storage.list_events, self.filter, cursor, REPLAY_PAGE)
        if not rows:
            return b"", cursor, False
        event = self.framing.event
        chunk = b"".join(event(row.id, orjson.dumps(event_dict(row))) for row in rows)
        return chunk, rows[-1].id, len(rows) >= REPLAY_PAGE

    async def follow(self, parts: Sequence[Sequence[LiveEvent]], cursor: int) -> tuple[bytes, int]:
        # Everything pending goes out in one write; a part is shared with the other streams
        # of the same filter, and so are its bytes, unless it overlaps what was replayed.
        chunks = []
        for part in parts:
            if part[0].id <= cursor:
                part = LiveBatch(event for event in part if event.id > cursor)
                if not part:
                    continue
            chunks.append(frames(part, self.framing.sse))
            cursor = part[-1].id
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), cursor
