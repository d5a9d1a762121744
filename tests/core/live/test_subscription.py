"""A stream's bounded buffer and the slow-reader rule."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.core.live.helpers import run
from tidings.core.live import Ended, Overflow, Subscription


def _sub(limit: int, released: list[Subscription[Any]] | None = None) -> Subscription[int]:
    def release(sub: Subscription[Any]) -> None:
        if released is not None:
            released.append(sub)

    return Subscription(release, "t", "x", 0, limit)


def test_a_full_buffer_overflows_empties_and_stays_empty() -> None:
    async def scenario() -> tuple[int, bool]:
        sub = _sub(limit=3)
        sub.offer([1, 2])
        sub.offer([3, 4])  # 4 > 3
        sub.offer([5])  # ignored once overflowed: memory does not grow
        with pytest.raises(Overflow):
            await sub.get(1)
        size = sub.buffered
        sub.restart()
        sub.offer([6])
        return size, await sub.get(1) == [6]

    assert run(scenario) == (0, True)


def test_one_delivery_larger_than_the_buffer_is_taken_when_empty() -> None:
    async def scenario() -> list[int] | None:
        sub = _sub(limit=3)
        sub.offer(list(range(10)))
        return await sub.get(1)

    assert run(scenario) == list(range(10))


def test_overflow_while_following_marks_the_reader_dropped() -> None:
    async def scenario() -> bool:
        sub = _sub(limit=1)
        sub.following = True
        sub.offer([1])
        sub.offer([2])
        return sub.dropped.is_set()

    assert run(scenario) is True


def test_overflow_while_replaying_does_not_drop_the_reader() -> None:
    async def scenario() -> bool:
        sub = _sub(limit=1)
        sub.offer([1])
        sub.offer([2])
        return sub.overflowed and not sub.dropped.is_set()

    assert run(scenario) is True


def test_get_times_out_with_none_when_idle() -> None:
    async def scenario() -> list[int] | None:
        return await _sub(limit=1).get(0.01)

    assert run(scenario) is None


def test_parts_are_handed_over_as_offered() -> None:
    async def scenario() -> list[Any] | None:
        sub = _sub(limit=10)
        first, second = [1, 2], [3]
        sub.offer(first)
        sub.offer(second)
        parts = await sub.get_parts(1)
        assert parts is not None and parts[0] is first  # shared, not copied
        return parts

    assert run(scenario) == [[1, 2], [3]]


def test_a_ping_asks_a_keepalive_only_of_a_reader_that_got_nothing_since_the_last() -> None:
    async def scenario() -> tuple[list[Any] | None, list[int] | None]:
        idle, busy = _sub(limit=10), _sub(limit=10)
        busy.offer([1])
        await busy.get(1)
        idle.ping()
        busy.ping()
        # The idle reader is woken for a keepalive (None) without any timeout of its own...
        keepalive = await asyncio.wait_for(idle.get_parts(), 5)
        # ...while the busy one was not: its next read is the next item.
        busy.offer([2])
        return keepalive, await asyncio.wait_for(busy.get(), 5)

    assert run(scenario) == (None, [2])


def test_end_wakes_a_waiting_reader_with_ended() -> None:
    async def scenario() -> None:
        sub = _sub(limit=1)
        waiter = asyncio.create_task(sub.get())
        await asyncio.sleep(0)
        sub.end()
        with pytest.raises(Ended):
            await waiter

    run(scenario)


def test_close_releases_once_and_ignores_later_offers() -> None:
    released: list[Subscription[Any]] = []
    sub = _sub(limit=3, released=released)
    sub.close()
    sub.close()
    sub.offer([1])
    assert released == [sub]
    assert sub.buffered == 0
