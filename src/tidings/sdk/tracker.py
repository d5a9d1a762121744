"""The tracker: builds the event envelope, merges contexts and hands the event to backends.

An event is ``{"name", "timestamp", "data", "context"}``; ``timestamp`` is an aware UTC
datetime taken when :meth:`Tracker.emit` is called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tidings.sdk.backends.routing import Backend, RoutingBackend
from tidings.sdk.locator import ContextLocator, Contexts, DefaultContextLocator

UNKNOWN_EVENT_TYPE = "unknown"
DEFAULT_TRACKER_NAME = "default"

Event = dict[str, Any]
Processor = Callable[[Event], Any]

TRACKERS: dict[str, Tracker] = {}


class Tracker:
    """Emits events to its backends, with the contexts active at the time of the call.

    Args:
        backends: name -> object with a callable ``send(event)``; called in sorted name order.
        context_locator: where contexts live; default one shared stack per tracker.
        processors: callables run in order on a copy of each event before the backends.
    """

    def __init__(
        self,
        backends: Mapping[str, Backend] | None = None,
        context_locator: ContextLocator | None = None,
        processors: Iterable[Processor] | None = None,
    ) -> None:
        self.routing_backend = RoutingBackend(backends=backends, processors=processors)
        self.context_locator: ContextLocator = context_locator or DefaultContextLocator()

    @property
    def located_context(self) -> Contexts:
        return self.context_locator.get()

    @property
    def backends(self) -> dict[str, Backend]:
        return self.routing_backend.backends

    @property
    def processors(self) -> list[Processor]:
        return self.routing_backend.processors

    def get_backend(self, name: str) -> Backend:
        """The backend registered as ``name``. Raises KeyError when there is none."""
        return self.backends[name]

    def emit(self, name: str | None = None, data: Mapping[str, Any] | None = None) -> None:
        """Send an event named ``name`` (``"unknown"`` if empty) carrying ``data``."""
        event: Event = {
            "name": name or UNKNOWN_EVENT_TYPE,
            "timestamp": datetime.now(UTC),
            "data": data or {},
            "context": self.resolve_context(),
        }
        self.routing_backend.send(event)

    def resolve_context(self) -> dict[str, Any]:
        """A new dict merging the active contexts in the order they were entered."""
        merged: dict[str, Any] = {}
        for ctx in self.located_context.values():
            merged.update(ctx)
        return merged

    def enter_context(self, name: str, ctx: dict[str, Any]) -> None:
        """Activate ``ctx`` under ``name``; its keys override contexts entered before it."""
        self.located_context[name] = ctx

    def exit_context(self, name: str) -> None:
        """Deactivate the context ``name``. Raises KeyError if it was not entered."""
        del self.located_context[name]

    @contextmanager
    def context(self, name: str, ctx: dict[str, Any]) -> Iterator[None]:
        """Activate ``ctx`` for the ``with`` block; it is removed even if the block raises."""
        self.enter_context(name, ctx)
        try:
            yield
        finally:
            self.exit_context(name)


def register_tracker(tracker: Tracker, name: str = DEFAULT_TRACKER_NAME) -> None:
    """Make ``tracker`` available to :func:`get_tracker` (and :func:`emit` as ``default``)."""
    TRACKERS[name] = tracker


def get_tracker(name: str = DEFAULT_TRACKER_NAME) -> Tracker:
    """The tracker registered as ``name``. Raises KeyError when none is."""
    return TRACKERS[name]


def emit(name: str | None = None, data: Mapping[str, Any] | None = None) -> None:
    """Emit through the default tracker. Raises KeyError when none is registered."""
    get_tracker().emit(name, data)
