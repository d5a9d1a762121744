"""Notify and applause through OpenSlides' Redis (spec section 3.4), so every instance
serving one OpenSlides, Tidings or the original, shares them.

Sending is ``XADD notify * content <message>`` on the write connection; every process reads
the ``notify`` stream from the entry that was newest when it started and delivers each
message to its own channels. Applause is the ``applause`` sorted set (user id -> last
applause); the level counts those within the configured timeout, present users are the
``users/user`` elements with ``is_present``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from tidings.compat.openslides.channels import NotifyChannels
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.ingest import Keys

log = logging.getLogger("tidings.openslides")
APPLAUSE_TIMEOUT_CONFIG = "general_system_stream_applause_timeout"
APPLAUSE_KEPT_SECONDS = 60
BLOCK_MS = 1000
RETRY_SECONDS = 0.5


class RedisNotify:
    """Sends this process's notify messages to the ``notify`` stream and routes the stream's
    messages to its channels."""

    def __init__(self, redis: Any, write_redis: Any, keys: Keys, channels: NotifyChannels) -> None:
        self.redis = redis
        self.write_redis = write_redis
        self.keys = keys
        self.channels = channels
        self._task: asyncio.Task[None] | None = None
        channels.transport = self.send

    async def send(self, payload: bytes) -> None:
        await self.write_redis.xadd(self.keys.notify, {"content": payload})

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tidings-openslides-notify")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        last: bytes | None = None
        failing = False
        while True:
            try:
                if last is None:
                    newest = await self.redis.xrevrange(self.keys.notify, count=1)
                    last = newest[0][0] if newest else b"0-0"
                answer = await self.redis.xread({self.keys.notify: last}, count=100, block=BLOCK_MS)
                failing = False
                for entry_id, fields in answer[0][1] if answer else ():
                    last = entry_id
                    content = fields.get(b"content")
                    if content is not None:
                        try:
                            self.channels.route(content)
                        except ValueError as exc:
                            log.warning("openslides: unreadable notify entry: %s", exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: retry, keep the position
                if not failing:
                    log.warning("openslides: notify stream unavailable: %s", type(exc).__name__)
                failing = True
                await asyncio.sleep(RETRY_SECONDS)


class RedisLevels:
    """Applause levels from the ``applause`` sorted set, presence from the data."""

    def __init__(self, write_redis: Any, keys: Keys, data: Data) -> None:
        self.redis = write_redis
        self.keys = keys
        self.data = data

    async def applaud(self, uid: int) -> None:
        await self.redis.zadd(self.keys.applause, {str(uid): int(time.time())})

    async def levels(self) -> tuple[int, int]:
        now = int(time.time())
        timeout = self.data.config(APPLAUSE_TIMEOUT_CONFIG, 5)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            timeout = 5
        pipe = self.redis.pipeline(transaction=False)
        pipe.zremrangebyscore(self.keys.applause, 0, now - APPLAUSE_KEPT_SECONDS)
        pipe.zcount(self.keys.applause, now - timeout, "+inf")
        _, level = await pipe.execute()
        present = sum(1 for u in self.data.collection("users/user") if u.get("is_present") is True)
        return int(level), present
