"""The Redis bus: pub/sub channels for fan-out, sorted sets for the stamped sets.

Pub/sub (not streams) is enough because a live subscriber never relies on the bus for
history: a reconnecting client replays from storage, which holds every committed event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Iterable

import redis.asyncio as aioredis

from tidings.bus.base import Bus, Deliver
from tidings.bus.redis.client import connect
from tidings.redis_keys import key_prefix

log = logging.getLogger("tidings.bus")
#: Seconds between attempts to subscribe again after the bus connection was lost.
RECONNECT_PAUSE = 0.5


class RedisBus(Bus):
    """``scope`` (the installation id) keeps installations that share one Redis apart."""

    def __init__(self, url: str, scope: str = "") -> None:
        self.url = url
        self.prefix = key_prefix(scope)
        self._client: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._deliver: Deliver | None = None
        self._channels: tuple[str, ...] = ()
        self._ready = asyncio.Event()
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("redis bus is not started")
        return self._client

    async def start(self, deliver: Deliver, topics: Collection[str]) -> None:
        self._deliver = deliver
        self._channels = tuple(self.prefix + topic for topic in topics)
        self._client = connect(self.url)
        await self._client.ping()
        self._reader = asyncio.create_task(self._read(), name="tidings-bus-reader")
        # Subscribed before start returns, so nothing published after startup is missed.
        await self._ready.wait()

    async def _read(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self._channels)
                if not self._connected and self._ready.is_set():
                    log.warning("redis bus connection is back")
                self._connected = True
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message" or self._deliver is None:
                        continue
                    channel = message["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    try:
                        self._deliver(channel[len(self.prefix) :], message["data"])
                    except Exception:
                        log.exception("live delivery failed")
            except asyncio.CancelledError:
                raise
            # A dropped connection must not end live delivery: reconnect after a pause.
            except Exception as exc:  # noqa: BLE001
                if self._connected or not self._ready.is_set():
                    log.warning("redis bus connection lost (%s); reconnecting", exc)
                self._connected = False
                self._ready.set()
                await asyncio.sleep(RECONNECT_PAUSE)
            finally:
                # The old connection is dead or closing: release it, not leak one per retry.
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ping(self) -> None:
        await self.client.ping()

    async def publish(self, topic: str, payload: bytes) -> None:
        await self.client.publish(self.prefix + topic, payload)

    async def stamp(self, key: str, members: Iterable[str], at: float) -> None:
        stamps = dict.fromkeys(members, at)
        if stamps:
            await self.client.zadd(self.prefix + key, stamps)

    async def count_since(self, key: str, since: float, forget_until: float) -> int:
        name = self.prefix + key
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(name, "-inf", forget_until)
            pipe.zcount(name, f"({since}", "+inf")
            _, count = await pipe.execute()
        return int(count)
