"""Group commit: requests queue events, one thread commits whatever is queued, then acks.

Invariants:
- A request's future resolves only after the transaction holding its events committed
  (acknowledge after commit), or with an error if it did not.
- The queue holds at most ``max_queue_events``; beyond that :meth:`Writer.submit` raises
  :class:`~tidings.errors.Overloaded` at once instead of growing memory.
- :meth:`Writer.stop` refuses new work, commits everything already queued, then returns.
- While ``refuse()`` names a reason (a service the commit depends on is down), or while one
  commit has been running longer than ``stall_after`` seconds (a database that stopped
  answering without dropping the connection), new work is refused with
  :class:`~tidings.errors.Unavailable` instead of waiting behind it.

The thread takes *everything* queued (up to ``batch_max_events``) per transaction, so under
load each commit's fsync is shared by many requests, and an idle server commits at once.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from tidings.errors import Overloaded, TidingsError, Unavailable
from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.outages import describe
from tidings.storage.base import Storage

log = logging.getLogger("tidings.writer")

Committed = Callable[[Sequence[EventDraft], Sequence[InsertResult]], None]
_Item = tuple[Sequence[EventDraft], "asyncio.Future[list[InsertResult]]"]


#: Seconds one commit may run before new work is refused (SQLite gives up on a lock after
#: its 10 s busy timeout; a PostgreSQL connection that stopped answering never does).
STALL_AFTER = 30.0
#: Seconds between forced GIL hand-offs while the writer runs (see Writer.start).
SWITCH_INTERVAL = 0.0005


class Writer:
    """The single committer in front of a :class:`Storage`."""

    def __init__(
        self,
        storage: Storage,
        *,
        max_queue_events: int,
        batch_max_events: int,
        on_commit: Committed | None = None,
        observe_commit: Callable[[float, int], None] | None = None,
        refuse: Callable[[], str | None] | None = None,
        stall_after: float = STALL_AFTER,
    ) -> None:
        self.storage = storage
        self.max_queue_events = max_queue_events
        self.batch_max_events = batch_max_events
        self.on_commit = on_commit
        self.observe_commit = observe_commit
        self.refuse = refuse
        self.stall_after = stall_after
        #: When the running commit started (monotonic clock); None between commits.
        self._commit_started: float | None = None
        self._queue: deque[_Item] = deque()
        self._pending = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def depth(self) -> int:
        """Events queued and not yet committed."""
        return self._pending

    def start(self) -> None:
        # The writer thread gives up the GIL inside every SQLite call and must win it back
        # from a busy event loop, which only yields it every switch interval (5 ms by
        # default): seven hand-offs per commit made a 0.3 ms fsync cost ~6 ms under load.
        # A shorter interval keeps commits short and so group commits frequent.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="tidings-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Refuse new work, commit what is queued, and wait for the thread to end."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join)
            self._thread = None

    def submit(self, drafts: Sequence[EventDraft]) -> asyncio.Future[list[InsertResult]]:
        """Queue ``drafts`` for the next commit.

        Returns:
            A future that resolves to one InsertResult per draft after the commit.

        Raises:
            Overloaded: the queue is full; answer 503 with Retry-After.
            Unavailable: the writer is stopping or was never started, or ``refuse`` said no.
        """
        loop = self._loop
        if loop is None:
            raise Unavailable("writer is not running. Did the app lifespan run?")
        if self.refuse is not None and (reason := self.refuse()) is not None:
            raise Unavailable(reason)
        started = self._commit_started
        if started is not None and time.monotonic() - started > self.stall_after:
            raise Unavailable("storage is not answering; the current commit is stalled")
        future: asyncio.Future[list[InsertResult]] = loop.create_future()
        count = len(drafts)
        with self._cond:
            if self._stopping:
                raise Unavailable("server is shutting down")
            # An oversized request is still let in when the queue is empty, so a single
            # batch larger than the bound cannot be refused forever.
            if self._pending and self._pending + count > self.max_queue_events:
                raise Overloaded("write queue is full; retry shortly", retry_after=1)
            self._pending += count
            self._queue.append((drafts, future))
            self._cond.notify()
        return future

    def _take(self) -> list[_Item] | None:
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            items = [self._queue.popleft()]
            size = len(items[0][0])
            while self._queue and size + len(self._queue[0][0]) <= self.batch_max_events:
                item = self._queue.popleft()
                size += len(item[0])
                items.append(item)
            return items

    def _run(self) -> None:
        while True:
            items = self._take()
            if items is None:
                return
            self._commit_started = time.monotonic()
            try:
                outcomes = self._commit(items)
            finally:
                self._commit_started = None
            with self._cond:
                self._pending -= sum(len(drafts) for drafts, _ in items)
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._resolve, items, outcomes)
            except RuntimeError:  # pragma: no cover - the loop closed under us at exit
                return

    def _commit(self, items: list[_Item]) -> list[list[InsertResult] | BaseException]:
        drafts = [draft for batch, _ in items for draft in batch]
        started = time.perf_counter()
        try:
            results = self.storage.insert_batch(drafts)
        # Any driver error (sqlite3, psycopg, ...) must fail the waiting requests, not the writer.
        except Exception as exc:  # noqa: BLE001
            if len(items) == 1:
                log.error("commit failed: %s", describe(exc))
                return [_unavailable(exc)]
            # One request's bad luck must not fail its neighbours: retry each on its own.
            return [self._commit_one(batch) for batch, _ in items]
        if self.observe_commit is not None:
            self.observe_commit(time.perf_counter() - started, len(drafts))
        self._notify(drafts, results)
        outcomes: list[list[InsertResult] | BaseException] = []
        offset = 0
        for batch, _ in items:
            outcomes.append(results[offset : offset + len(batch)])
            offset += len(batch)
        return outcomes

    def _commit_one(self, batch: Sequence[EventDraft]) -> list[InsertResult] | BaseException:
        try:
            results = self.storage.insert_batch(batch)
        except Exception as exc:  # noqa: BLE001 - same reason as in _commit
            log.error("commit failed: %s", describe(exc))
            return _unavailable(exc)
        self._notify(batch, results)
        return results

    def _notify(self, drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        if self.on_commit is None:
            return
        try:
            self.on_commit(drafts, results)
        except Exception:
            log.exception("on_commit listener failed")

    @staticmethod
    def _resolve(items: list[_Item], outcomes: list[list[InsertResult] | BaseException]) -> None:
        for (_, future), outcome in zip(items, outcomes, strict=True):
            if future.done():  # the client went away; its events are committed anyway
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


def _unavailable(exc: Exception) -> TidingsError:
    if isinstance(exc, TidingsError):
        return exc
    return Unavailable(f"storage error: {type(exc).__name__}")
