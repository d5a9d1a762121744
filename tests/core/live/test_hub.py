"""The hub: fan-out to event streams by filter, other topics, presence, keepalives, shutdown."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.core.live.helpers import draft, make_hub, run
from tidings.core.live import Ended, frames
from tidings.model.ids import derived_message_id
from tidings.model.records import EventFilter, InsertResult


def test_committed_events_reach_matching_subscribers_from_the_writer_thread() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        hub = make_hub()
        await hub.start()
        every = hub.subscribe_events(0)
        only_b = hub.subscribe_events(0, EventFilter(names=("b",)))
        drafts = [draft(name="a"), draft(name="b", properties='{"k":1}'), draft(name="dup")]
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
        hub = make_hub()
        await hub.start()
        every = hub.subscribe_events(0)
        drafts = [draft(message_id=None), draft(message_id="client-id")]
        hub.committed(drafts, [InsertResult(7, False), InsertResult(8, False)])
        got = await every.get(5) or []
        await hub.close()
        return [e.data["message_id"] for e in got]

    # The id listing and export show for the stored event, not a second one.
    assert run(scenario) == [derived_message_id(7, 1_000_000), "client-id"]


def test_streams_with_equal_filters_share_one_match_and_its_bytes() -> None:
    async def scenario() -> None:
        hub = make_hub()
        await hub.start()
        only_b = [hub.subscribe_events(0, EventFilter(names=("b",))) for _ in range(2)]
        every = [hub.subscribe_events(0), hub.subscribe_events(0, EventFilter())]
        assert len(hub._groups) == 2  # the empty filter is the "every event" group
        drafts = [draft(name="a"), draft(name="b")]
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


def test_a_topic_handler_gets_its_payloads_and_offers_to_its_subscriptions() -> None:
    async def scenario() -> tuple[list[str], list[bytes], list[bytes] | None]:
        hub = make_hub()
        seen: list[bytes] = []

        def handler(payload: bytes) -> None:
            seen.append(payload)
            for sub in hub.listeners("chat"):
                if sub.name == payload.decode():
                    sub.offer([payload + b"\n"])

        hub.listen("chat", handler)
        await hub.start()
        a, b = hub.subscribe(1, "chat", "a"), hub.subscribe(2, "chat", "b")
        await hub.publish("chat", b"b")
        await hub.publish("other", b"a")  # nobody listens: not delivered
        got_b = await b.get(5)
        a.close()
        names = [sub.name for sub in hub.listeners("chat")]
        await hub.close()
        return names, seen, got_b

    names, seen, got_b = run(scenario)
    assert names == ["b"]
    assert seen == [b"b"]
    assert got_b == [b"b\n"]


def test_jobs_run_while_the_hub_is_open() -> None:
    async def scenario() -> tuple[bool, bool]:
        hub = make_hub()
        started = asyncio.Event()
        cancelled = asyncio.Event()

        async def job() -> None:
            started.set()
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()

        hub.run_while_open("test-job", job)
        await hub.start()
        await asyncio.wait_for(started.wait(), 5)
        await hub.close()
        return started.is_set(), cancelled.is_set()

    assert run(scenario) == (True, True)


def test_idle_streams_get_keepalives_from_the_hubs_round() -> None:
    async def scenario() -> tuple[Any, Any]:
        hub = make_hub(keepalive=0.01)
        await hub.start()
        events = hub.subscribe_events(0)
        lines = hub.subscribe(0, "chat", "a")
        # No timeout of their own: only the hub's keepalive round wakes them.
        got = (await asyncio.wait_for(events.get(), 5), await asyncio.wait_for(lines.get(), 5))
        await hub.close()
        return got

    assert run(scenario) == (None, None)


def test_present_users_counts_each_user_once_while_a_stream_is_open() -> None:
    async def scenario() -> list[set[int]]:
        hub = make_hub()
        a = hub.subscribe(1, "chat", "a")
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
        hub = make_hub()
        sub = hub.subscribe_events(0)
        lines = hub.subscribe(0, "chat", "a")
        waiter = asyncio.create_task(sub.get(30))
        await asyncio.sleep(0)
        hub.end_streams()
        with pytest.raises(Ended):
            await waiter
        with pytest.raises(Ended):
            await lines.get(30)
        with pytest.raises(Ended):
            await hub.subscribe_events(0).get(30)  # a stream opened while stopping ends at once
        return True

    assert run(scenario)


def test_an_unreachable_bus_refuses_ingest() -> None:
    class _Down:
        connected = False

    hub = make_hub()
    assert hub.outage() is None
    hub.bus = _Down()  # type: ignore[assignment]
    assert hub.outage() == "the live event bus is unreachable"
