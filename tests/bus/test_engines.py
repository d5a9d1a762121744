"""Both bus engines keep the same promises; Redis runs for real."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.reliability.tcp_proxy import TcpProxy, tcp_proxy
from tests.services import redis_url
from tidings.bus import EVENTS, Bus, open_bus
from tidings.errors import ConfigError

CHAT = "chat"
TOPICS = (EVENTS, CHAT)


def _memory() -> Bus:
    return open_bus("memory://")


#: The installation id of this test's Redis buses, fresh per test (see _fresh_scope).
_SCOPE = ""


def _redis() -> Bus:
    return open_bus(redis_url(), _SCOPE)


ENGINES = [pytest.param(_memory, id="memory"), pytest.param(_redis, id="redis")]


@pytest.fixture(autouse=True)
def _fresh_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    # Separate keys per test, so parallel runs and earlier runs do not share stamped sets:
    # each test is an installation of its own on the shared Redis.
    monkeypatch.setitem(globals(), "_SCOPE", f"test-{uuid.uuid4().hex[:8]}")


class _Heard:
    """What a bus delivered to one process, and a way to wait until something arrived."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []
        self._arrived = asyncio.Event()

    def __call__(self, topic: str, payload: bytes) -> None:
        self.items.append((topic, payload))
        self._arrived.set()

    @property
    def payloads(self) -> list[bytes]:
        return [payload for _, payload in self.items]

    async def until(self, check: Callable[[list[bytes]], bool]) -> None:
        async with asyncio.timeout(10):
            while not check(self.payloads):
                self._arrived.clear()
                await self._arrived.wait()


async def _ignore_everything(bus: Bus) -> Bus:
    await bus.start(lambda topic, payload: None, TOPICS)
    return bus


@pytest.mark.parametrize("make", ENGINES)
def test_published_payloads_are_delivered_in_order_per_topic(make: Callable[[], Bus]) -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        bus = make()
        heard = _Heard()
        await bus.start(heard, TOPICS)
        try:
            for n in range(5):
                await bus.publish(EVENTS, b"[%d]" % n)
            await bus.publish(CHAT, b"{}")
            await heard.until(lambda got: len(got) == 6)
        finally:
            await bus.close()
        return heard.items

    got = asyncio.run(scenario())
    assert got == [(EVENTS, b"[%d]" % n) for n in range(5)] + [(CHAT, b"{}")]


@pytest.mark.parametrize("make", ENGINES)
def test_only_subscribed_topics_are_delivered(make: Callable[[], Bus]) -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        bus = make()
        heard = _Heard()
        await bus.start(heard, [EVENTS])
        try:
            await bus.publish(CHAT, b"unheard")
            # Delivered in publication order: once the later payload is here, the earlier
            # one would have been too.
            await bus.publish(EVENTS, b"[1]")
            await heard.until(lambda got: b"[1]" in got)
        finally:
            await bus.close()
        return heard.items

    assert asyncio.run(scenario()) == [(EVENTS, b"[1]")]


@pytest.mark.parametrize("make", ENGINES)
def test_stamped_members_count_once_each_while_their_stamp_is_recent(
    make: Callable[[], Bus],
) -> None:
    async def scenario() -> tuple[int, int, int]:
        bus = await _ignore_everything(make())
        try:
            await bus.stamp("applause", ["1"], 100.0)
            await bus.stamp("applause", ["1"], 101.0)  # a repeat refreshes, it does not add
            await bus.stamp("applause", ["2"], 101.5)
            both = await bus.count_since("applause", 97.0, 97.0)
            one = await bus.count_since("applause", 101.2, 101.2)  # 1's stamp is too old
            none = await bus.count_since("applause", 195.0, 195.0)
        finally:
            await bus.close()
        return both, one, none

    assert asyncio.run(scenario()) == (2, 1, 0)


@pytest.mark.parametrize("make", ENGINES)
def test_forgotten_stamps_no_longer_count_for_any_window(make: Callable[[], Bus]) -> None:
    async def scenario() -> tuple[int, int, int]:
        bus = await _ignore_everything(make())
        try:
            await bus.stamp("seen", ["a", "b"], 100.0)
            await bus.stamp("seen", ["c"], 200.0)
            await bus.stamp("other", ["a"], 100.0)
            # Counted after 150, but everything up to 100 is forgotten now...
            recent = await bus.count_since("seen", 150.0, 100.0)
            # ...so a wider window later finds only what is left.
            wider = await bus.count_since("seen", 0.0, 0.0)
            other = await bus.count_since("other", 0.0, 0.0)  # sets are separate
        finally:
            await bus.close()
        return recent, wider, other

    assert asyncio.run(scenario()) == (1, 1, 1)


def test_redis_stamped_sets_are_shared_by_every_process() -> None:
    async def scenario() -> tuple[int, int]:
        first, second = await _ignore_everything(_redis()), await _ignore_everything(_redis())
        try:
            await first.stamp("present", ["1", "2"], 100.0)
            await second.stamp("present", ["2", "3"], 100.5)
            both = await second.count_since("present", 97.0, 97.0)
            # The first process stopped stamping: its users stop counting.
            await second.stamp("present", ["3"], 104.0)
            later = await first.count_since("present", 101.0, 101.0)
        finally:
            await first.close()
            await second.close()
        return both, later

    assert asyncio.run(scenario()) == (3, 1)


def test_redis_delivers_across_processes() -> None:
    async def scenario() -> list[bytes]:
        sender, receiver = _redis(), _redis()
        heard = _Heard()
        await sender.start(lambda topic, payload: None, TOPICS)
        await receiver.start(heard, TOPICS)
        try:
            await sender.publish(CHAT, b'{"x":1}')
            await heard.until(bool)
        finally:
            await sender.close()
            await receiver.close()
        return heard.payloads

    assert asyncio.run(scenario()) == [b'{"x":1}']


def test_unknown_bus_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bus_url"):
        open_bus("kafka://x")


async def _until_connected(bus: Bus, connected: bool) -> None:
    # The bus announces no change of its connection: poll the flag, with a deadline.
    async with asyncio.timeout(10):
        while bus.connected is not connected:
            await asyncio.sleep(0.01)


def test_redis_bus_reports_a_lost_connection_and_reconnects_by_itself() -> None:
    redis_url()  # skip locally (fail under CI) when Redis is down

    async def scenario(proxy: TcpProxy) -> list[bytes]:
        bus = open_bus(f"redis://{proxy.address}/0", _SCOPE)
        heard = _Heard()
        await bus.start(heard, TOPICS)
        try:
            assert bus.connected
            proxy.cut()
            await _until_connected(bus, False)
            with pytest.raises(Exception):  # noqa: B017 - whatever redis-py raises
                await bus.ping()
            proxy.restore()
            await _until_connected(bus, True)
            # Subscribed again: publications reach this process once more.
            await bus.publish(EVENTS, b"[1]")
            await heard.until(lambda got: got == [b"[1]"])
        finally:
            await bus.close()
        return heard.payloads

    with tcp_proxy("127.0.0.1", 6379) as proxy:
        asyncio.run(scenario(proxy))


def test_memory_bus_is_always_connected() -> None:
    assert open_bus("memory://").connected


def test_redis_installations_sharing_one_redis_do_not_hear_each_other() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], list[int]]:
        scopes = (f"{_SCOPE}-a", f"{_SCOPE}-b", f"{_SCOPE}-a")
        ours, neighbour, ours_too = (open_bus(redis_url(), scope) for scope in scopes)
        heard, overheard = _Heard(), _Heard()
        await ours.start(heard, TOPICS)
        await neighbour.start(overheard, TOPICS)
        await ours_too.start(lambda _topic, _payload: None, TOPICS)
        try:
            await ours_too.publish(EVENTS, b"[1]")
            await neighbour.publish(EVENTS, b"[2]")
            await ours.publish(EVENTS, b"[3]")
            # Each installation then marks the end of the test's publications. Redis
            # delivers to one subscriber in publication order, so a stray publication of
            # the other installation would have arrived before its own end mark.
            await ours.publish(EVENTS, b"end-a")
            await neighbour.publish(EVENTS, b"end-b")
            await heard.until(lambda got: b"end-a" in got)
            await overheard.until(lambda got: b"end-b" in got)
            await ours.stamp("applause", ["1"], 100.0)
            await neighbour.stamp("applause", ["2"], 100.0)
            await ours_too.stamp("applause", ["3"], 100.0)
            levels = [await bus.count_since("applause", 95.5, 40.5) for bus in (ours, neighbour)]
        finally:
            for bus in (ours, neighbour, ours_too):
                await bus.close()
        return heard.payloads, overheard.payloads, levels

    heard, overheard, levels = asyncio.run(scenario())
    assert heard == [b"[1]", b"[3]", b"end-a"]
    assert overheard == [b"[2]", b"end-b"]
    assert levels == [2, 1]
