"""Routing: run processors on a copy of the event, then give it to every backend.

Failures are contained: a processor that raises is logged and skipped, a backend that raises
is logged and the others still get the event. Only :class:`EventEmissionExit` stops an event.
"""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from tidings.sdk.exceptions import EventEmissionExit

log = logging.getLogger(__name__)


class Backend(Protocol):
    def send(self, event: dict[str, Any]) -> None: ...


Processor = Callable[[dict[str, Any]], Any]


class RoutingBackend:
    """A backend that fans out to named backends, after its processors; routers nest.

    Args:
        backends: name -> backend; registered (and so called) in sorted name order.
        processors: callables taking the event; returning None keeps the event as it is.

    Raises:
        ValueError: a backend without a callable ``send`` or a processor that is not callable;
            the message names the object's class (``Backend str does not have ...``).
    """

    def __init__(
        self,
        backends: Mapping[str, Backend] | None = None,
        processors: Iterable[Processor] | None = None,
    ) -> None:
        self.backends: OrderedDict[str, Backend] = OrderedDict()
        for name in sorted(backends or {}):
            self.register_backend(name, (backends or {})[name])
        self.processors: list[Processor] = []
        for processor in processors or []:
            self.register_processor(processor)

    def register_backend(self, name: str, backend: Backend) -> None:
        if not callable(getattr(backend, "send", None)):
            raise ValueError(
                f'Backend {backend.__class__.__name__} does not have a callable "send" method.'
            )
        self.backends[name] = backend

    def register_processor(self, processor: Processor) -> None:
        if not callable(processor):
            raise ValueError(f"Processor {processor.__class__.__name__} is not callable.")
        self.processors.append(processor)

    def send(self, event: dict[str, Any]) -> None:
        """Process a deep copy of ``event`` and send the result to every backend."""
        try:
            processed = self.process_event(event)
        except EventEmissionExit:
            return
        self.send_to_backends(processed)

    def process_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the processors in order. Raises EventEmissionExit when one drops the event."""
        # A copy, so processors never change the caller's event or a sibling router's.
        current = copy.deepcopy(event)
        for processor in self.processors:
            try:
                result = processor(current)
            except EventEmissionExit:
                raise
            except Exception:  # one broken processor must not stop tracking
                log.exception("Failed to execute processor: %s", processor)
                continue
            if result is not None:
                current = result
        return current

    def send_to_backends(self, event: dict[str, Any]) -> None:
        for name, backend in self.backends.items():
            try:
                backend.send(event)
            except Exception:  # one failing backend must not starve the others
                log.exception("Unable to send event to backend: %s", name)
