"""Replay-then-follow: storage after the cursor, then live, with no gap and no duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from tests.core.live.helpers import event, run
from tidings.core.live import NDJSON, SSE, EventFeed, LiveBatch, Subscription, replay_then_follow
from tidings.core.live import replay as replay_module
from tidings.model.records import EventFilter, StoredEvent

SLOW = {"type": "slow_reader", "detail": "too slow"}


def _sub(limit: int = 10) -> Subscription[Any]:
    return Subscription(lambda sub: None, "t", "x", 0, limit)


class _Pages:
    """A feed whose storage holds ``stored`` ids; ``during`` runs before each page is read."""

    def __init__(self, stored: list[int], page: int = 2) -> None:
        self.stored = stored
        self.page = page
        self.reads: list[int] = []
        self.during: Any = None

    async def catch_up(self, cursor: int) -> tuple[bytes, int, bool]:
        self.reads.append(cursor)
        if self.during is not None:
            self.during()
        rows = [i for i in self.stored if i > cursor][: self.page]
        if not rows:
            return b"", cursor, False
        return b"".join(b"s%d;" % i for i in rows), rows[-1], len(rows) == self.page

    async def follow(self, parts: Sequence[Sequence[int]], cursor: int) -> tuple[bytes, int]:
        fresh = [i for part in parts for i in part if i > cursor]
        return b"".join(b"l%d;" % i for i in fresh), max(fresh, default=cursor)


async def _take(body: AsyncGenerator[bytes, None], count: int) -> list[bytes]:
    return [await asyncio.wait_for(anext(body), 5) for _ in range(count)]


def test_storage_pages_come_after_the_opening_then_live_items_without_duplicates() -> None:
    async def scenario() -> list[bytes]:
        sub = _sub()
        feed = _Pages([1, 2, 3])
        body = replay_then_follow(sub, feed, NDJSON, SLOW, cursor=0, opening=b"hi;")
        head = await _take(body, 3)
        sub.offer([3, 4])  # 3 was committed while replaying: it is in storage and the buffer
        return [*head, (await _take(body, 1))[0]]

    assert run(scenario) == [b"hi;", b"s1;s2;", b"s3;", b"l4;"]


def test_without_a_cursor_the_stream_starts_live() -> None:
    async def scenario() -> tuple[list[bytes], list[int]]:
        sub = _sub()
        feed = _Pages([1, 2])
        body = replay_then_follow(sub, feed, SSE, SLOW, opening=SSE.opening)
        first = (await _take(body, 1))[0]
        sub.offer([0, 5])  # live-only streams send everything they are offered
        return [first, (await _take(body, 1))[0]], feed.reads

    assert run(scenario) == ([SSE.opening, b"l0;l5;"], [])


def test_an_overflow_while_replaying_reads_storage_again_instead_of_failing() -> None:
    async def scenario() -> tuple[list[bytes], list[int]]:
        sub = _sub(limit=1)
        feed = _Pages([1, 2, 3], page=5)

        def commits_outrun_the_replay() -> None:
            # Commits arrive faster than the replay reads: the buffer overflows once...
            sub.offer([2])
            sub.offer([3])
            feed.during = None

        feed.during = commits_outrun_the_replay
        body = replay_then_follow(sub, feed, NDJSON, SLOW, cursor=0)
        got = await _take(body, 1)
        feed.stored.append(4)  # ...and storage has everything, also what came meanwhile
        sub.offer([4])
        got += await _take(body, 1)
        sub.offer([5])
        got += await _take(body, 1)
        return got, feed.reads

    assert run(scenario) == ([b"s1;s2;s3;", b"s4;", b"l5;"], [0, 3])


def test_an_overflow_while_following_ends_with_the_slow_reader_error() -> None:
    async def scenario() -> list[bytes]:
        sub = _sub(limit=1)
        body = replay_then_follow(sub, _Pages([]), SSE, SLOW, cursor=0)
        waiting = asyncio.create_task(anext(body))
        async with asyncio.timeout(5):
            while not sub.following:  # the stream caught up and waits for live items
                await asyncio.sleep(0)
        sub.offer([1])
        sub.offer([2])
        return [await asyncio.wait_for(waiting, 5), *[chunk async for chunk in body]]

    assert run(scenario) == [SSE.error(SLOW)]


def test_an_idle_stream_sends_keepalives_and_ends_quietly_at_shutdown() -> None:
    async def scenario() -> list[bytes]:
        sub = _sub()
        body = replay_then_follow(sub, _Pages([]), NDJSON, SLOW)
        sub.ping()
        first = (await _take(body, 1))[0]
        sub.end()
        return [first, *[chunk async for chunk in body]]

    assert run(scenario) == [NDJSON.keepalive]


class _Storage:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.calls: list[tuple[int, int]] = []

    def list_events(self, flt: EventFilter, after: int, limit: int) -> list[StoredEvent]:
        self.calls.append((after, limit))
        return [_stored(i) for i in self.ids if i > after][:limit]


def _stored(event_id: int) -> StoredEvent:
    return StoredEvent(
        id=event_id, message_id="m", source="web", namespace="n", name="e", timestamp=5,
        received_at=5, value=1.0, properties="{}", context="{}", user_id=None,
        anonymous_id=None, session_id=None,
    )  # fmt: skip


def test_the_event_feed_replays_stored_pages_in_its_framing(monkeypatch: Any) -> None:
    monkeypatch.setattr(replay_module, "REPLAY_PAGE", 2)

    async def scenario() -> list[tuple[bytes, int, bool]]:
        feed = EventFeed(_Storage([1, 2, 3]), EventFilter(), SSE)  # type: ignore[arg-type]
        return [await feed.catch_up(0), await feed.catch_up(2), await feed.catch_up(3)]

    first, second, done = run(scenario)
    assert first[0].startswith(b"id: 1\ndata: {") and first[1:] == (2, True)
    assert second[0].startswith(b"id: 3\ndata: {") and second[1:] == (3, False)
    assert done == (b"", 3, False)


def test_the_event_feed_skips_what_was_replayed_and_shares_untouched_batches() -> None:
    async def scenario() -> tuple[bytes, int, bytes]:
        feed = EventFeed(_Storage([]), EventFilter(), NDJSON)  # type: ignore[arg-type]
        overlapping = LiveBatch([event(id=3), event(id=4)])
        fresh = LiveBatch([event(id=5)])
        chunk, cursor = await feed.follow([overlapping, fresh], 3)
        return chunk, cursor, fresh.frames(False)

    chunk, cursor, fresh_bytes = run(scenario)
    assert [line[:7] for line in chunk.splitlines()] == [b'{"id":4', b'{"id":5']
    assert cursor == 5
    assert chunk.endswith(fresh_bytes)
