"""What one request hands the funnel (:class:`Batch`), the transaction that stores it
(:func:`commit`), and what runs after each commit (:class:`AfterCommit`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.model.timeparse import now_us
from tidings.storage.base import SideWrite, Storage

log = logging.getLogger("tidings.writer")

#: An effect of a commit: the drafts committed and their results, in order.
Committed = Callable[[Sequence[EventDraft], Sequence[InsertResult]], None]
#: An observer of commit timing: seconds the transaction took and events in it.
Timed = Callable[[float, int], None]


@dataclass(frozen=True, slots=True)
class Batch:
    """One request's writes: its events and the side writes that must commit with them (a
    person's traits, an Opencast record). The writer commits both in one transaction and
    answers the request from that commit, so either all of it is stored or none of it."""

    drafts: Sequence[EventDraft]
    side_writes: Sequence[SideWrite] = ()

    def __len__(self) -> int:
        return len(self.drafts)


def draft(
    source_id: int,
    namespace: str,
    name: str,
    timestamp: int | None = None,
    *,
    received_at: int | None = None,
    value: float = 1.0,
    properties: str | None = None,
    context: str | None = None,
    message_id: str | None = None,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    session_id: str | None = None,
) -> EventDraft:
    """An event as a compat slice translates one: what its wire format does not carry takes
    the usual default (value 1, received now and, without a time of its own, happened now)."""
    received = now_us() if received_at is None else received_at
    when = received if timestamp is None else timestamp
    return EventDraft(
        source_id, namespace, name, when, received, value, properties, context,
        message_id, user_id, anonymous_id, session_id,
    )  # fmt: skip


class AfterCommit:
    """The one place the effects of a commit are registered (live fan-out, counters, ...).

    The writer calls :meth:`committed` once per transaction, in its own thread, after the
    commit and before any request in it is answered. An effect that raises is logged and
    does not stop the others: the events are durable whatever an effect does.
    """

    def __init__(self) -> None:
        self._effects: list[Committed] = []
        self._timers: list[Timed] = []

    def add(self, effect: Committed) -> None:
        """Run ``effect(drafts, results)`` after every commit."""
        self._effects.append(effect)

    def time(self, observer: Timed) -> None:
        """Tell ``observer(seconds, events)`` how long every commit took."""
        self._timers.append(observer)

    def committed(
        self, drafts: Sequence[EventDraft], results: Sequence[InsertResult], seconds: float
    ) -> None:
        for observer in self._timers:
            self._run(observer, seconds, len(drafts))
        for effect in self._effects:
            self._run(effect, drafts, results)

    @staticmethod
    def _run(effect: Callable[..., None], *args: object) -> None:
        try:
            effect(*args)
        except Exception:
            log.exception("after-commit effect %r failed", effect)


def commit(
    storage: Storage, batches: Sequence[Batch], effects: AfterCommit | None = None
) -> list[InsertResult]:
    """Store ``batches`` (their events, then their side writes, in order) in one
    transaction, then run ``effects``. Blocking: the writer's thread calls it per group
    commit, and offline tools (``tidings import``) call it directly.

    Returns one result per draft of all batches, in order.
    """
    drafts = [draft for batch in batches for draft in batch.drafts]
    side_writes = [write for batch in batches for write in batch.side_writes]
    started = time.perf_counter()
    results = storage.insert_batch(drafts, side_writes)
    if effects is not None:
        effects.committed(drafts, results, time.perf_counter() - started)
    return results
