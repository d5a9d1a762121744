"""The in-process bus: publication is a direct call, a shared set is a dict."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tidings.bus.base import Bus, Deliver


class MemoryBus(Bus):
    in_process = True

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self._topics: frozenset[str] = frozenset()
        self._sets: dict[str, dict[str, float]] = {}

    async def start(self, deliver: Deliver, topics: Collection[str]) -> None:
        self._deliver = deliver
        self._topics = frozenset(topics)

    async def close(self) -> None:
        self._deliver = None

    async def ping(self) -> None:
        return None

    async def publish(self, topic: str, payload: bytes) -> None:
        if self._deliver is not None and topic in self._topics:
            self._deliver(topic, payload)

    async def stamp(self, key: str, members: Iterable[str], at: float) -> None:
        stamps = self._sets.setdefault(key, {})
        for member in members:
            stamps[member] = at

    async def count_since(self, key: str, since: float, forget_until: float) -> int:
        stamps = self._sets.get(key)
        if not stamps:
            return 0
        for member in [m for m, at in stamps.items() if at <= forget_until]:
            del stamps[member]
        return sum(1 for at in stamps.values() if at > since)
