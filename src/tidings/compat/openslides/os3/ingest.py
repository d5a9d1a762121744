"""Following OpenSlides' Redis (spec sections 1 and 6, "Ingest" and "Outage").

Load everything (remembering the ``autoupdate`` stream entry that was newest before the
load, so no entry written during the load is missed), then follow the stream. An entry with
exactly the next change id is applied from its content; a gap is filled from ``change_id`` +
``full_data``; a jump of more than 100, a different lowest change id or ``cache_ready`` gone
reloads everything. While Redis is unreachable or the cache not ready, ``available`` is
False (new requests get 503); on return the data is brought up to date from Redis, so open
streams resume without loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from tidings.compat.openslides.os3.data import Data, Element

log = logging.getLogger("tidings.openslides")

LOWEST = b"_config:lowest_change_id"
CONFIG_PREFIX = b"_config:"
#: Further ahead than this, the original reloads everything (Redis was reset).
MAX_GAP = 100
#: How long one XREAD blocks; on its timeout the cache state is checked.
BLOCK_MS = 1000
RETRY_SECONDS = 0.5


class Keys:
    """OpenSlides' key names, behind an optional prefix (a Redis shared with others)."""

    def __init__(self, prefix: str = "") -> None:
        self.full_data = prefix + "full_data"
        self.change_id = prefix + "change_id"
        self.cache_ready = prefix + "cache_ready"
        self.autoupdate = prefix + "autoupdate"
        self.notify = prefix + "notify"
        self.applause = prefix + "applause"


class NotReady(Exception):
    """``cache_ready`` is not ``ok``."""


def _element_keys(members: list[tuple[bytes, float]]) -> dict[str, int]:
    return {m.decode(): int(s) for m, s in members if not m.startswith(CONFIG_PREFIX)}


class Ingest:
    def __init__(self, redis: Any, keys: Keys, data: Data) -> None:
        self.redis = redis
        self.keys = keys
        self.data = data
        self.available = False
        self.loaded = False
        self._last_entry = b"0-0"
        self._differs: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tidings-openslides-ingest")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _state(self) -> tuple[bytes | None, int | None, int, int]:
        """``cache_ready``, the lowest and the newest change id, and how many elements."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(self.keys.cache_ready)
        pipe.zscore(self.keys.change_id, LOWEST)
        pipe.zrevrange(self.keys.change_id, 0, 0, withscores=True)
        pipe.hlen(self.keys.full_data)
        ready, lowest, top, count = await pipe.execute()
        top_id = int(top[0][1]) if top else 0
        return ready, None if lowest is None else int(lowest), top_id, int(count)

    async def reload(self) -> None:
        newest = await self.redis.xrevrange(self.keys.autoupdate, count=1)
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(self.keys.cache_ready)
        pipe.hgetall(self.keys.full_data)
        pipe.zrange(self.keys.change_id, 0, -1, withscores=True)
        pipe.zscore(self.keys.change_id, LOWEST)
        ready, full, members, lowest = await pipe.execute()
        if ready != b"ok":
            raise NotReady
        elements = {k.decode(): orjson.loads(v) for k, v in full.items()}
        self._last_entry = newest[0][0] if newest else b"0-0"
        self.data.replace(elements, _element_keys(members), int(lowest or 0))
        self.loaded = True

    async def sync(self) -> None:
        """Bring the data up to Redis' current change id (after a gap, an outage, a timeout)."""
        ready, lowest, top, count = await self._state()
        if ready != b"ok":
            raise NotReady
        data = self.data
        if not self.loaded or lowest != data.lowest or top - data.current > MAX_GAP:
            await self.reload()
            return
        if top <= data.current:
            # Elements added without a change id (a cache build still filling ``full_data``
            # when it was loaded): reload once the difference stays for two checks, since a
            # change being written makes one for a moment.
            state = (top, count)
            if count != len(data.elements) and self._differs == state:
                await self.reload()
            self._differs = state if count != len(data.elements) else None
            return
        members = await self.redis.zrangebyscore(
            self.keys.change_id, f"({data.current}", top, withscores=True
        )
        keys = list(_element_keys(members))
        values = await self.redis.hmget(self.keys.full_data, keys) if keys else []
        data.apply(
            top,
            {k: None if v is None else orjson.loads(v) for k, v in zip(keys, values, strict=True)},
        )

    async def _entry(self, content: bytes) -> None:
        change = orjson.loads(content)
        change_id = int(change["change_id"])
        data = self.data
        if change_id <= data.current:
            return
        elements: dict[str, Element | None] | None = change.get("elements")
        if change_id == data.current + 1 and isinstance(elements, dict):
            data.apply(change_id, elements)
        else:
            await self.sync()

    async def _follow(self) -> None:
        while True:
            answer = await self.redis.xread(
                {self.keys.autoupdate: self._last_entry}, count=100, block=BLOCK_MS
            )
            if not answer:
                await self.sync()  # catches a flushed Redis or a vanished cache_ready
                continue
            for entry_id, fields in answer[0][1]:
                self._last_entry = entry_id
                content = fields.get(b"content")
                if content is not None:
                    try:
                        await self._entry(content)
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("openslides: unreadable autoupdate entry: %s", exc)
                        await self.sync()

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self.sync()
                self.available = True
                failing = False
                await self._follow()
            except asyncio.CancelledError:
                raise
            except NotReady:
                self.available = False
                self.loaded = False
            except Exception as exc:  # noqa: BLE001 - any Redis failure: unavailable, retry
                self.available = False
                if not failing:
                    log.warning("openslides: Redis unavailable: %s", type(exc).__name__)
                failing = True
            await asyncio.sleep(RETRY_SECONDS)
