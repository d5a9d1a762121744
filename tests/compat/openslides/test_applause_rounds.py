"""Applause rounds and presence, on the memory bus and shared through Redis."""

from __future__ import annotations

import uuid

import orjson

from tests.core.live.helpers import make_hub, run
from tests.services import redis_url
from tidings.bus import open_bus
from tidings.compat.openslides.applause_rounds import ApplauseRounds, present_users
from tidings.compat.openslides.channels import NotifyChannels
from tidings.compat.openslides.live import SystemLive


def test_applause_rounds_send_while_nonzero_plus_one_zero() -> None:
    async def scenario() -> list[int]:
        hub = make_hub()
        channels = NotifyChannels(hub)
        rounds = ApplauseRounds(hub, channels, interval=1.0, window=1000.0)
        await hub.start()
        listener = channels.open(3)
        levels = []
        level = await rounds.tick(0)  # nothing yet: no line
        await rounds.applaud(1)
        await rounds.applaud(2)
        await rounds.applaud(1)
        level = await rounds.tick(level)
        levels.append(level)
        rounds.window = 0.0  # everyone's applause is now out of the window
        level = await rounds.tick(level)
        levels.append(level)
        level = await rounds.tick(level)  # stays zero: nothing sent
        lines = await listener.get(1) or []
        await hub.close()
        return [*levels, len(lines), rounds.sent]

    assert run(scenario) == [2, 0, 2, 2]


def test_an_applause_line_names_the_level_and_the_present_users() -> None:
    async def scenario() -> list[bytes]:
        hub = make_hub()
        live = SystemLive(hub, applause_interval=1.0, applause_window=10.0)
        await hub.start()
        listener = live.channels.open(3)
        await live.applause.applaud(3)
        await live.applause.tick(0)
        got = await listener.get(5) or []
        await hub.close()
        return got

    [line] = run(scenario)
    assert orjson.loads(line) == {
        "sender_user_id": 0,
        "sender_channel_id": "Server",
        "name": "applause",
        "message": {"level": 1, "presentUsers": 1},
    }


def test_in_process_presence_is_the_users_with_a_stream_open_now() -> None:
    async def scenario() -> list[int]:
        hub = make_hub()
        a, b = hub.subscribe_events(1), hub.subscribe_events(2)
        hub.subscribe_events(0)  # anonymous is nobody
        counts = [await present_users(hub, 100.0, 3.0)]
        a.close()
        counts.append(await present_users(hub, 100.0, 3.0))  # gone at once, no ttl to wait
        b.close()
        counts.append(await present_users(hub, 100.0, 3.0))
        return counts

    assert run(scenario) == [2, 1, 0]


def test_redis_presence_counts_users_over_every_process() -> None:
    url, scope = redis_url(), f"test-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[int, int, int]:
        first, second = make_hub(bus=open_bus(url, scope)), make_hub(bus=open_bus(url, scope))
        for hub in (first, second):
            await hub.start()
        try:
            one, two = first.subscribe_events(1), first.subscribe_events(2)
            second.subscribe_events(2)
            second.subscribe_events(3)
            await present_users(first, 100.0, 3.0)
            both = await present_users(second, 100.5, 3.0)
            # The first process's users left; it stops announcing them, they expire.
            one.close()
            two.close()
            later = await present_users(second, 104.0, 3.0)
            alone = await present_users(first, 104.0, 3.0)
        finally:
            await first.close()
            await second.close()
        return both, later, alone

    assert run(scenario) == (3, 2, 2)
