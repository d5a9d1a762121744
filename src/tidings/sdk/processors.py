"""Processors: callables that may change, replace or drop an event before the backends."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tidings.sdk.exceptions import EventEmissionExit, ImproperlyConfigured

FILTER_TYPES = ("allowlist", "blocklist")


class NameWhitelistProcessor:
    """Drop every event whose name is not in ``whitelist``.

    Raises:
        TypeError: ``whitelist`` is None, a string, or not iterable.
    """

    def __init__(self, whitelist: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if whitelist is None or isinstance(whitelist, str | bytes):
            raise TypeError("whitelist must be an iterable of event names, not a string or None")
        try:
            self.whitelist = frozenset(whitelist)
        except TypeError:
            raise TypeError("whitelist must be an iterable of event names") from None

    def __call__(self, event: Any) -> Any:
        # A list of events (a batch) is filtered instead of dropped whole.
        if isinstance(event, list):
            return [e for e in event if e.get("name") in self.whitelist]
        if event.get("name") not in self.whitelist:
            raise EventEmissionExit()
        return event


class RegexFilter:
    """Keep (``allowlist``) or drop (``blocklist``) events whose name matches a pattern.

    Patterns are matched with :func:`re.match`, so they are anchored at the start of the name.

    Raises:
        ImproperlyConfigured: an unknown ``filter_type`` or an invalid regular expression.
    """

    def __init__(
        self, filter_type: str = "allowlist", regular_expressions: Iterable[str] = ()
    ) -> None:
        if filter_type not in FILTER_TYPES:
            raise ImproperlyConfigured(
                f"filter_type must be 'allowlist' or 'blocklist', not {filter_type!r}"
            )
        self.filter_type = filter_type
        patterns = list(regular_expressions)
        try:
            self.regular_expressions = [re.compile(p) for p in patterns]
        except re.error as exc:
            raise ImproperlyConfigured(f"invalid regular expression: {exc}") from None

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        name = str(event.get("name", ""))
        matched = any(regex.match(name) for regex in self.regular_expressions)
        if matched != (self.filter_type == "allowlist"):
            raise EventEmissionExit()
        return event
