"""Exceptions of the tracking API.

::

    Exception
     +-- EventEmissionExit      a processor drops the event; no backend sees it
     +-- ImproperlyConfigured   a processor was given settings it cannot use
     +-- DroppedEvents          reported to ``on_error``: the client's queue was full
"""

from __future__ import annotations


class EventEmissionExit(Exception):
    """Raised by a processor to stop an event silently: no backend receives it."""


class ImproperlyConfigured(Exception):
    """A processor or backend got options it cannot work with (bad filter type, bad regex).

    The SDK defines its own class so it can be used without Django installed.
    """


class DroppedEvents(Exception):
    """Passed to ``on_error`` when ``count`` events were dropped because the queue was full."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} events were dropped because the send queue was full")
        self.count = count
