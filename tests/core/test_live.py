"""The hub and its subscriptions, in process with the memory bus."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tidings.bus.memory import MemoryBus
from tidings.core.live import (
    Ended,
    Hub,
    LiveBatch,
    LiveEvent,
    Overflow,
    Subscription,
    frames,
    matches,
)
from tidings.model.events import EventDraft
from tidings.model.ids import derived_message_id
from tidings.model.records import EventFilter, InsertResult


class _NoStorage:
    """Only ``committed`` touches storage, to name sources; tests pass known ids."""


def _hub(buffer: int = 10) -> Hub:
    hub = Hub(MemoryBus(), _NoStorage(), buffer=buffer, tick=0.001)  # type: ignore[arg-type]
    hub._sources = {1: "web"}
    return hub


def _draft(namespace: str = "n", name: str = "e", **fields: Any) -> EventDraft:
    base: dict[str, Any] = {
        "source_id": 1,
        "namespace": namespace,
        "name": name,
        "timestamp": 1_000_000,
        "received_at": 1_000_000,
        "value": 1.0,
        "properties": None,
        "context": None,
        "message_id": "m",
        "user_id": None,
        "anonymous_id": None,
        "session_id": None,
    }
    base.update(fields)
    return EventDraft(**base)


def _event(**data: Any) -> LiveEvent:
    base = {"id": 1, "source": "web", "namespace": "n", "name": "e", "user_id": None,
            "session_id": None, "properties": {}}  # fmt: skip
    base.update(data)
    return LiveEvent(base, data.pop("ts", 5))


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flt", "event", "expected"),
    [
        (EventFilter(), _event(), True),
        (EventFilter(source="web"), _event(source="app"), False),
        (EventFilter(namespace="n", names=("a", "e")), _event(), True),
        (EventFilter(names=("a",)), _event(), False),
        (EventFilter(user_id="u1"), _event(user_id="u1"), True),
        (EventFilter(session_id="s"), _event(session_id=None), False),
        (EventFilter(from_us=5, to_us=6), _event(ts=5), True),
        (EventFilter(to_us=5), _event(ts=5), False),
        (EventFilter(props=(("plan", "pro"),)), _event(properties={"plan": "pro"}), True),
        (EventFilter(props=(("n", "2"),)), _event(properties={"n": 2}), True),
        (EventFilter(props=(("ok", "true"),)), _event(properties={"ok": True}), True),
        (EventFilter(props=(("plan", "pro"),)), _event(properties={}), False),
    ],
)
def test_matches_applies_the_list_filters(
    flt: EventFilter, event: LiveEvent, expected: bool
) -> None:
    assert matches(flt, event) is expected


def test_a_full_buffer_overflows_empties_and_stays_empty() -> None:
    async def scenario() -> tuple[int, bool]:
        hub = _hub()
        sub: Subscription[int] = Subscription(hub, "x", 0, limit=3)
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
        sub: Subscription[int] = Subscription(_hub(), "x", 0, limit=3)
        sub.offer(list(range(10)))
        return await sub.get(1)

    assert run(scenario) == list(range(10))


def test_overflow_while_following_marks_the_reader_dropped() -> None:
    async def scenario() -> bool:
        sub: Subscription[int] = Subscription(_hub(), "x", 0, limit=1)
        sub.following = True
        sub.offer([1])
        sub.offer([2])
        return sub.dropped.is_set()

    assert run(scenario) is True


def test_get_times_out_with_none_when_idle() -> None:
    async def scenario() -> list[int] | None:
        sub: Subscription[int] = Subscription(_hub(), "x", 0, limit=1)
        return await sub.get(0.01)

    assert run(scenario) is None


def test_committed_events_reach_matching_subscribers_from_the_writer_thread() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        hub = _hub()
        await hub.start()
        every = hub.subscribe_events(0)
        only_b = hub.subscribe_events(0, EventFilter(names=("b",)))
        drafts = [_draft(name="a"), _draft(name="b", properties='{"k":1}'), _draft(name="dup")]
        results = [InsertResult(1, False), InsertResult(2, False), InsertResult(9, True)]
        thread = threading.Thread(target=hub.committed, args=(drafts, results))
        thread.start()
        thread.join()
        got_all = await every.get(5) or []
        got_b = await only_b.get(5) or []
        assert got_b[0].data["properties"] == {"k": 1}
        assert got_b[0].data["source"] == "web"
        await hub.close()
        return [e.id for e in got_all], [e.id for e in got_b]

    assert run(scenario) == ([1, 2], [2])  # a duplicate is not a new event


def test_an_event_sent_without_a_message_id_goes_live_with_its_derived_one() -> None:
    async def scenario() -> list[Any]:
        hub = _hub()
        await hub.start()
        every = hub.subscribe_events(0)
        drafts = [_draft(message_id=None), _draft(message_id="client-id")]
        hub.committed(drafts, [InsertResult(7, False), InsertResult(8, False)])
        got = await every.get(5) or []
        await hub.close()
        return [e.data["message_id"] for e in got]

    # The id listing and export show for the stored event, not a second one.
    assert run(scenario) == [derived_message_id(7, 1_000_000), "client-id"]


def test_streams_with_equal_filters_share_one_match_and_its_bytes() -> None:
    async def scenario() -> None:
        hub = _hub()
        await hub.start()
        only_b = [hub.subscribe_events(0, EventFilter(names=("b",))) for _ in range(2)]
        every = [hub.subscribe_events(0), hub.subscribe_events(0, EventFilter())]
        assert len(hub._groups) == 2  # the empty filter is the "every event" group
        drafts = [_draft(name="a"), _draft(name="b")]
        hub.committed(drafts, [InsertResult(1, False), InsertResult(2, False)])
        got_b = [await sub.get_parts(5) for sub in only_b]
        got_all = [await sub.get_parts(5) for sub in every]
        assert got_b[0] is not None and got_b[1] is not None
        assert got_b[0][0] is got_b[1][0]  # one batch object, matched once
        assert [e.id for e in got_b[0][0]] == [2]
        assert got_all[0] is not None and [e.id for e in got_all[0][0]] == [1, 2]
        assert frames(got_b[0][0], True) is frames(got_b[1][0], True)  # serialised once
        for sub in [*only_b, *every]:
            sub.close()
        assert hub._groups == {}
        await hub.close()

    run(scenario)


def test_frames_are_sse_frames_or_ndjson_lines() -> None:
    batch = LiveBatch([_event(id=3), _event(id=4)])
    sse = frames(batch, True)
    assert sse.startswith(b"id: 3\ndata: {") and sse.count(b"\n\n") == 2
    lines = frames([_event(id=5)], False).splitlines()
    assert len(lines) == 1 and lines[0].startswith(b'{"id":5')


def test_notify_routes_by_all_user_and_channel() -> None:
    async def scenario() -> dict[str, int]:
        hub = _hub()
        await hub.start()
        subs = {"u1": hub.subscribe_notify(1), "u2a": hub.subscribe_notify(2)}
        subs["u2b"] = hub.subscribe_notify(2)
        await hub.send_notify({"name": "x", "to_users": [1]})
        await hub.send_notify({"name": "y", "to_channels": [subs["u2b"].kind]})
        await hub.send_notify({"name": "z", "to_all": True})
        counts = {name: len(await sub.get(1) or []) for name, sub in subs.items()}
        await hub.close()
        return counts

    assert run(scenario) == {"u1": 2, "u2a": 1, "u2b": 2}


def test_applause_rounds_send_while_nonzero_plus_one_zero() -> None:
    async def scenario() -> list[int]:
        hub = _hub()
        hub.applause_window = 1000.0
        await hub.start()
        listener = hub.subscribe_notify(3)
        levels = []
        level = await hub.applause_tick(0)  # nothing yet: no line
        await hub.applaud(1)
        await hub.applaud(2)
        await hub.applaud(1)
        level = await hub.applause_tick(level)
        levels.append(level)
        hub.applause_window = 0.0  # everyone's applause is now out of the window
        level = await hub.applause_tick(level)
        levels.append(level)
        level = await hub.applause_tick(level)  # stays zero: nothing sent
        lines = await listener.get(1) or []
        await hub.close()
        return [*levels, len(lines), hub.applause_sent]

    assert run(scenario) == [2, 0, 2, 2]


def test_present_users_counts_each_user_once_while_a_stream_is_open() -> None:
    async def scenario() -> list[set[int]]:
        hub = _hub()
        a = hub.subscribe_notify(1)
        b = hub.subscribe_events(1)
        hub.subscribe_events(0)  # anonymous is nobody
        seen = [hub.present_local()]
        a.close()
        seen.append(hub.present_local())
        b.close()
        seen.append(hub.present_local())
        return seen

    assert run(scenario) == [{1}, {1}, set()]


def test_ending_streams_wakes_readers_with_ended() -> None:
    async def scenario() -> bool:
        hub = _hub()
        sub = hub.subscribe_events(0)
        waiter = asyncio.create_task(sub.get(30))
        await asyncio.sleep(0)
        hub.end_streams()
        with pytest.raises(Ended):
            await waiter
        with pytest.raises(Ended):
            await hub.subscribe_events(0).get(30)  # a stream opened while stopping ends at once
        return True

    assert run(scenario)


class _CountingBus(MemoryBus):
    """The in-process bus, counting what it is asked to publish."""

    published = 0

    async def publish(self, topic: str, payload: bytes) -> None:
        self.published += 1
        await super().publish(topic, payload)


def test_an_in_process_hub_with_no_event_stream_publishes_nothing() -> None:
    async def scenario() -> tuple[int, int, int]:
        bus = _CountingBus()
        hub = Hub(bus, _NoStorage(), buffer=10, tick=0.001)  # type: ignore[arg-type]
        hub._sources = {1: "web"}
        await hub.start()
        drafts = [_draft(name="a")]
        hub.committed(drafts, [InsertResult(1, False)])
        await asyncio.sleep(0.05)  # long enough for a publication to reach the bus
        idle = bus.published
        sub = hub.subscribe_events(0)
        hub.committed(drafts, [InsertResult(2, False)])
        following = len(await sub.get(5) or [])
        return idle, bus.published, following

    # Skipped while nobody follows (a later stream replays from storage); sent once one does.
    assert run(scenario) == (0, 1, 1)
