"""The Redis bus: pub/sub channels for fan-out, sorted sets for applause and presence.

Pub/sub (not streams) is enough because a live subscriber never relies on the bus for
history: a reconnecting client replays from storage, which holds every committed event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from tidings.bus import Bus, Deliver
from tidings.redis_keys import key_prefix

log = logging.getLogger("tidings.bus")
#: A command retries a dropped connection briefly (a Redis restart or failover), then
#: fails, so an outage is noticed in well under a second rather than after redis-py's
#: default ten retries.
RETRY = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=3)
#: Seconds between attempts to subscribe again after the bus connection was lost.
RECONNECT_PAUSE = 0.5


class RedisBus(Bus):
    """``scope`` (the installation id) keeps installations that share one Redis apart."""

    def __init__(self, url: str, scope: str = "") -> None:
        self.url = url
        self.prefix = key_prefix(scope)
        self._applause_key = self.prefix + "applause"
        self._present_key = self.prefix + "present"
        self._client: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._deliver: Deliver | None = None
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

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._client = aioredis.from_url(self.url, retry=RETRY)
        await self._client.ping()
        self._reader = asyncio.create_task(self._read(), name="tidings-bus-reader")
        # Subscribed before start returns, so nothing published after startup is missed.
        await self._ready.wait()

    async def _read(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*(self.prefix + t for t in ("events", "notify")))
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

    async def applaud(self, uid: int, now: float) -> None:
        await self.client.zadd(self._applause_key, {str(uid): now})

    async def applause_level(self, now: float, window: float) -> int:
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(
                self._applause_key, "-inf", now - 60 if window < 60 else now - window
            )
            pipe.zcount(self._applause_key, f"({now - window}", "+inf")
            _, level = await pipe.execute()
        return int(level)

    async def present_users(self, local: Iterable[int], now: float, ttl: float) -> int:
        members = {str(uid): now for uid in local}
        async with self.client.pipeline(transaction=False) as pipe:
            if members:
                pipe.zadd(self._present_key, members)
            pipe.zremrangebyscore(self._present_key, "-inf", f"({now - ttl}")
            pipe.zcard(self._present_key)
            results = await pipe.execute()
        return int(results[-1])
