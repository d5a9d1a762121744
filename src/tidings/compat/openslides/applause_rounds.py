"""Applause rounds: who applauded lately and who is present, broadcast to notify channels.

Every ``interval`` each process counts the distinct users who applauded within ``window``
and the users with a stream open in any process, and sends the level to its own notify
channels while it is above zero, plus one trailing zero. Both counts live in the bus's
shared stamped sets, so every process of one installation sees the same numbers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from tidings.compat.openslides.channels import NotifyChannels
from tidings.core.live import Hub, json_line

log = logging.getLogger("tidings.live")

#: The bus's stamped sets: who applauded when, and who had a stream open when.
APPLAUSE = "applause"
PRESENT = "present"
#: Applause is kept at least this long whatever the window, so a process with a longer
#: window than another still finds it.
APPLAUSE_KEPT_SECONDS = 60.0


async def present_users(hub: Hub, now: float, ttl: float) -> int:
    """Users with an open stream in any process. Each process stamps its own users every
    round; a stamp counts for ``ttl`` seconds, so a crashed process's users stop counting
    by themselves."""
    local = hub.present_local()
    if hub.bus.in_process:
        return len(local)  # every stream is in this process
    await hub.bus.stamp(PRESENT, [str(uid) for uid in local], now)
    return await hub.bus.count_since(PRESENT, now - ttl, now - ttl)


class Levels(Protocol):
    """Where applause is kept and counted (the bus; the OpenSlides mode: its Redis)."""

    async def applaud(self, uid: int) -> None: ...

    async def levels(self) -> tuple[int, int]:
        """The applause level and the number of present users now."""


class BusLevels:
    """Applause and presence in the bus's shared stamped sets."""

    def __init__(self, rounds: ApplauseRounds) -> None:
        self.hub = rounds.hub
        self.rounds = rounds  # its interval and window, which may change

    async def applaud(self, uid: int) -> None:
        await self.hub.bus.stamp(APPLAUSE, [str(uid)], time.time())

    async def levels(self) -> tuple[int, int]:
        now = time.time()
        window, interval = self.rounds.window, self.rounds.interval
        kept = max(window, APPLAUSE_KEPT_SECONDS)
        level = await self.hub.bus.count_since(APPLAUSE, now - window, now - kept)
        present = await present_users(self.hub, now, max(3 * interval, 3.0))
        return level, present


class ApplauseRounds:
    """Runs the rounds alongside ``hub``, broadcasting on ``channels``."""

    def __init__(
        self, hub: Hub, channels: NotifyChannels, *, interval: float, window: float
    ) -> None:
        self.hub = hub
        self.channels = channels
        self.interval = interval
        self.window = window
        #: Replaced by the OpenSlides mode with its own.
        self.source: Levels = BusLevels(self)
        #: Rounds that broadcast a level (not the silent ones at zero).
        self.sent = 0
        hub.run_while_open("tidings-applause", self._loop)

    async def applaud(self, uid: int) -> None:
        """``uid`` applauds now; a repeat within the window counts once."""
        await self.source.applaud(uid)

    async def tick(self, previous: int) -> int:
        """One round: count, and broadcast unless the level stays at zero. Returns the level."""
        level, present = await self.source.levels()
        if level == 0 and previous == 0:
            return 0
        self.sent += 1
        self.channels.broadcast(
            json_line(
                {
                    "sender_user_id": 0,
                    "sender_channel_id": "Server",
                    "name": "applause",
                    "message": {"level": level, "presentUsers": present},
                }
            )
        )
        return level

    async def _loop(self) -> None:
        level = 0
        failing = False
        while True:
            await asyncio.sleep(self.interval)
            try:
                level = await self.tick(level)
                failing = False
            except Exception as exc:  # noqa: BLE001 - keep broadcasting after a bus hiccup
                # Once per outage, not once per round for as long as it lasts.
                if not failing:
                    log.warning("applause rounds failing: %s", exc)
                failing = True
