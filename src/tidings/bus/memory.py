"""The in-process bus: publication is a direct call, shared state is a dict."""

from __future__ import annotations

from collections.abc import Iterable

from tidings.bus import Bus, Deliver


class MemoryBus(Bus):
    in_process = True

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self._applause: dict[int, float] = {}

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def close(self) -> None:
        self._deliver = None

    async def ping(self) -> None:
        return None

    async def publish(self, topic: str, payload: bytes) -> None:
        if self._deliver is not None:
            self._deliver(topic, payload)

    async def applaud(self, uid: int, now: float) -> None:
        self._applause[uid] = now

    async def applause_level(self, now: float, window: float) -> int:
        cutoff = now - window
        stale = [uid for uid, at in self._applause.items() if at <= cutoff]
        for uid in stale:
            del self._applause[uid]
        return len(self._applause)

    async def present_users(self, local: Iterable[int], now: float, ttl: float) -> int:
        return len(set(local))
