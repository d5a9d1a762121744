"""Both bus engines keep the same promises; Redis runs for real."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.reliability.tcp_proxy import TcpProxy, tcp_proxy
from tests.services import redis_url
from tidings.bus import EVENTS, NOTIFY, Bus, open_bus
from tidings.errors import ConfigError


def _memory() -> Bus:
    return open_bus("memory://")


#: The installation id of this test's Redis buses, fresh per test (see _fresh_scope).
_SCOPE = ""


def _redis() -> Bus:
    return open_bus(redis_url(), _SCOPE)


ENGINES = [pytest.param(_memory, id="memory"), pytest.param(_redis, id="redis")]


@pytest.fixture(autouse=True)
def _fresh_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    # Separate keys per test, so parallel runs and earlier runs do not share applause state:
    # each test is an installation of its own on the shared Redis.
    monkeypatch.setitem(globals(), "_SCOPE", f"test-{uuid.uuid4().hex[:8]}")


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not check():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("make", ENGINES)
def test_published_payloads_are_delivered_in_order_per_topic(make: Callable[[], Bus]) -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        bus = make()
        got: list[tuple[str, bytes]] = []
        await bus.start(lambda topic, payload: got.append((topic, payload)))
        try:
            for n in range(5):
                await bus.publish(EVENTS, b"[%d]" % n)
            await bus.publish(NOTIFY, b"{}")
            await _until(lambda: len(got) == 6)
        finally:
            await bus.close()
        return got

    got = asyncio.run(scenario())
    assert got == [(EVENTS, b"[%d]" % n) for n in range(5)] + [(NOTIFY, b"{}")]


@pytest.mark.parametrize("make", ENGINES)
def test_applause_level_counts_distinct_users_within_the_window(make: Callable[[], Bus]) -> None:
    async def scenario() -> tuple[int, int, int]:
        bus = make()
        await bus.start(lambda topic, payload: None)
        try:
            await bus.applaud(1, 100.0)
            await bus.applaud(1, 101.0)  # a repeat refreshes, it does not add
            await bus.applaud(2, 101.5)
            both = await bus.applause_level(102.0, 5.0)
            one = await bus.applause_level(106.2, 5.0)  # user 1's last applause left the window
            none = await bus.applause_level(200.0, 5.0)
        finally:
            await bus.close()
        return both, one, none

    assert asyncio.run(scenario()) == (2, 1, 0)


def test_redis_counts_present_users_over_every_process() -> None:
    async def scenario() -> tuple[int, int, int]:
        first, second = _redis(), _redis()
        for bus in (first, second):
            await bus.start(lambda topic, payload: None)
        try:
            await first.present_users({1, 2}, 100.0, 3.0)
            both = await second.present_users({2, 3}, 100.5, 3.0)
            # The first process stopped announcing: its users expire after the ttl.
            later = await second.present_users({3}, 104.0, 3.0)
            alone = await first.present_users(set(), 104.0, 3.0)
        finally:
            await first.close()
            await second.close()
        return both, later, alone

    assert asyncio.run(scenario()) == (3, 1, 1)


def test_redis_delivers_across_processes() -> None:
    async def scenario() -> list[bytes]:
        sender, receiver = _redis(), _redis()
        got: list[bytes] = []
        await sender.start(lambda topic, payload: None)
        await receiver.start(lambda topic, payload: got.append(payload))
        try:
            await sender.publish(NOTIFY, b'{"x":1}')
            await _until(lambda: bool(got))
        finally:
            await sender.close()
            await receiver.close()
        return got

    assert asyncio.run(scenario()) == [b'{"x":1}']


def test_unknown_bus_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bus_url"):
        open_bus("kafka://x")


def test_redis_bus_reports_a_lost_connection_and_reconnects_by_itself() -> None:
    redis_url()  # skip locally (fail under CI) when Redis is down

    async def scenario(proxy: TcpProxy) -> list[bytes]:
        bus = open_bus(f"redis://{proxy.address}/0", _SCOPE)
        got: list[bytes] = []
        await bus.start(lambda topic, payload: got.append(payload))
        try:
            assert bus.connected
            proxy.cut()
            await _until(lambda: not bus.connected)
            with pytest.raises(Exception):  # noqa: B017 - whatever redis-py raises
                await bus.ping()
            proxy.restore()
            await _until(lambda: bus.connected)
            # Subscribed again: publications reach this process once more.
            await bus.publish(EVENTS, b"[1]")
            await _until(lambda: got == [b"[1]"])
        finally:
            await bus.close()
        return got

    with tcp_proxy("127.0.0.1", 6379) as proxy:
        asyncio.run(scenario(proxy))


def test_memory_bus_is_always_connected() -> None:
    assert open_bus("memory://").connected


def test_redis_installations_sharing_one_redis_do_not_hear_each_other() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], list[int]]:
        scopes = (f"{_SCOPE}-a", f"{_SCOPE}-b", f"{_SCOPE}-a")
        ours, neighbour, ours_too = (open_bus(redis_url(), scope) for scope in scopes)
        heard: list[bytes] = []
        overheard: list[bytes] = []
        await ours.start(lambda _topic, payload: heard.append(payload))
        await neighbour.start(lambda _topic, payload: overheard.append(payload))
        await ours_too.start(lambda _topic, payload: None)
        try:
            await ours_too.publish(EVENTS, b"[1]")
            await neighbour.publish(EVENTS, b"[2]")
            await ours.publish(EVENTS, b"[3]")
            await _until(lambda: len(heard) == 2 and len(overheard) == 1)
            await asyncio.sleep(0.1)  # time for a stray cross-installation delivery to show
            await ours.applaud(1, 100.0)
            await neighbour.applaud(2, 100.0)
            await ours_too.applaud(3, 100.0)
            levels = [await bus.applause_level(100.5, 5) for bus in (ours, neighbour)]
        finally:
            for bus in (ours, neighbour, ours_too):
                await bus.close()
        return heard, overheard, levels

    heard, overheard, levels = asyncio.run(scenario())
    assert heard == [b"[1]", b"[3]"]
    assert overheard == [b"[2]"]
    assert levels == [2, 1]
