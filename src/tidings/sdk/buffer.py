"""The client's bounded send buffer: never blocks producers, lets ``flush`` cut waits short."""

from __future__ import annotations

import threading
import time
from collections import deque


class SendBuffer:
    """A bounded FIFO of encoded events shared by callers and the sending thread.

    ``put`` refuses (returns False) instead of waiting when full: tracking must never slow
    the application down. ``take`` hands out batches; ``done`` marks them finished so
    ``join`` (flush) knows when everything queued before it has been dealt with.
    """

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: deque[bytes] = deque()
        self._cond = threading.Condition()
        self._unfinished = 0
        self._flushers = 0
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: bytes) -> bool:
        with self._cond:
            if self._closed or len(self._items) >= self.max_items:
                return False
            self._items.append(item)
            self._unfinished += 1
            self._cond.notify_all()
            return True

    def take(self, max_items: int, max_bytes: int, interval: float) -> list[bytes] | None:
        """The next batch, once ``max_items`` are waiting, ``interval`` has passed since the
        first one could be taken, a flush is requested, or the buffer closes. None when the
        buffer is closed and empty."""
        with self._cond:
            while not self._items:
                if self._closed:
                    return None
                self._cond.wait()
            deadline = time.monotonic() + interval
            while len(self._items) < max_items and not self._flushers and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch: list[bytes] = []
            size = 0
            while self._items and len(batch) < max_items:
                item = self._items[0]
                if batch and size + len(item) > max_bytes:
                    break
                batch.append(self._items.popleft())
                size += len(item) + 1
            return batch

    def done(self, count: int) -> None:
        with self._cond:
            self._unfinished -= count
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every item put so far is done. True if so, False on timeout."""
        with self._cond:
            self._flushers += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._unfinished <= 0, timeout)
            finally:
                self._flushers -= 1

    def close(self) -> None:
        """Refuse new items; ``take`` drains what is left, then returns None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
