"""The name whitelist: only events with a listed name go on to the backends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tidings.sdk.exceptions import EventEmissionExit

# The tracking library's wording, which callers may match on.
WHITELIST_REQUIRED = (
    "The NameWhitelistProcessor must be passed a collection of allowed names "
    'using the "whitelist" parameter'
)


class NameWhitelistProcessor:
    """Drop every event whose name is not in ``whitelist``.

    Other keyword arguments are accepted and ignored, so settings written with extra OPTIONS
    still build it.

    Raises:
        TypeError: ``whitelist`` is None, a string, or not iterable.
    """

    def __init__(self, whitelist: Iterable[str] | None = None, **_options: Any) -> None:
        if whitelist is None or isinstance(whitelist, str | bytes):
            raise TypeError(WHITELIST_REQUIRED)
        try:
            self.whitelist = frozenset(whitelist)
        except TypeError:
            raise TypeError(WHITELIST_REQUIRED) from None

    def __call__(self, event: Any) -> Any:
        # A list of events (a batch) is filtered instead of dropped whole.
        if isinstance(event, list):
            return [e for e in event if e.get("name") in self.whitelist]
        if event.get("name") not in self.whitelist:
            raise EventEmissionExit()
        return event
