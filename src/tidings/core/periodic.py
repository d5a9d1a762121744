"""A background task that runs a blocking pass of small steps every so often (retention,
sealing), in a worker thread, and stops between two steps when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from tidings.storage.base import Storage


class Stopped(Exception):
    """The server is stopping: end the pass between two steps."""


class PeriodicPass(ABC):
    """Runs :meth:`work` ``first_delay`` seconds after :meth:`start`, then every
    ``interval`` seconds; ``pause`` seconds between two steps keep the writer's waits short."""

    name = "tidings-pass"
    log = logging.getLogger("tidings")

    def __init__(self, storage: Storage, interval: float, first_delay: float, pause: float) -> None:
        self.storage = storage
        self.interval = interval
        self.first_delay = first_delay
        self.pause_seconds = pause
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._pass: asyncio.Future[int] | None = None

    @abstractmethod
    def run_pass(self, pause: Callable[[], None]) -> int:
        """One pass (blocking), calling ``pause`` between steps; returns the work done."""

    def work(self, pause: Callable[[], None]) -> int:
        """:meth:`run_pass`, unless another process of this installation is running it."""
        # With several server processes on one database, one runs the pass, the rest skip.
        with self.storage.sole_pass(self.name) as mine:
            return self.run_pass(pause) if mine else 0

    @abstractmethod
    def describe(self, done: int, elapsed: float) -> str:
        """The log line for a pass that did something."""

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the schedule and wait for a running pass to end after its current step
        (storage closes next, under its feet otherwise)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pass is not None:
            with contextlib.suppress(Exception):
                await self._pass

    def _pause(self) -> None:
        if self._stopping.wait(self.pause_seconds):
            raise Stopped

    async def run_once(self) -> int:
        self._pass = asyncio.ensure_future(asyncio.to_thread(self.work, self._pause))
        return await asyncio.shield(self._pass)

    async def _run(self) -> None:
        await asyncio.sleep(min(self.first_delay, self.interval))
        while True:
            started = time.monotonic()
            try:
                done = await self.run_once()
            except Stopped:
                return
            except Exception:  # a bad pass must not end the schedule for good
                self.log.exception("%s pass failed", self.name)
            else:
                if done:
                    self.log.info(self.describe(done, time.monotonic() - started))
            await asyncio.sleep(self.interval)
