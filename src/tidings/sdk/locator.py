"""Where a tracker keeps its active contexts: one ordered dict per tracker, or per thread."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Protocol

Contexts = OrderedDict[str, dict[str, Any]]


class ContextLocator(Protocol):
    def get(self) -> Contexts:
        """The ordered mapping of context name to context dict for the caller."""
        ...


class DefaultContextLocator:
    """One context stack shared by every thread using the tracker."""

    def __init__(self) -> None:
        self.context: Contexts = OrderedDict()

    def get(self) -> Contexts:
        return self.context


class ThreadLocalContextLocator:
    """A separate context stack per thread, so concurrent requests never see each other's."""

    def __init__(self) -> None:
        self.thread_local_data = threading.local()

    def get(self) -> Contexts:
        local = self.thread_local_data
        if not hasattr(local, "context"):
            local.context = OrderedDict()
        contexts: Contexts = local.context
        return contexts
