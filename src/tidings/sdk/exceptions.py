"""Exceptions of the tracking API.

::

    Exception
     +-- EventEmissionExit          a processor drops the event; no backend sees it
     +-- NoTransformerImplemented   a transforming processor has no transformer for an event
     +-- NoBackendEnabled           a transforming processor has no backend enabled for an event
     +-- ImproperlyConfigured       a processor was given settings it cannot use
     +-- DroppedEvents              reported to ``on_error``: the client's queue was full

The processor exceptions are importable from :mod:`tidings.sdk.processors.exceptions` too,
where code written for the tracking library looks for them.
"""

from __future__ import annotations


class EventEmissionExit(Exception):
    """Raised by a processor to stop an event silently: no backend receives it."""


class NoTransformerImplemented(Exception):
    """Raised by a processor that transforms events when it has no transformer for one.

    Tidings' own processors never raise it; it exists so processors written for the tracking
    library (which import it) keep working.
    """


class NoBackendEnabled(Exception):
    """Raised by a processor that transforms events when no backend is enabled for one.

    Like :class:`NoTransformerImplemented`, defined for third-party processors.
    """


class ImproperlyConfigured(Exception):
    """A processor or backend got options it cannot work with (bad filter type, bad regex).

    The SDK defines its own class so it can be used without Django installed.
    """


class DroppedEvents(Exception):
    """Passed to ``on_error`` when ``count`` events were dropped because the queue was full."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} events were dropped because the send queue was full")
        self.count = count
