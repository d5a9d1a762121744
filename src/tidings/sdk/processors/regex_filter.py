"""The regex filter: keep (allowlist) or drop (blocklist) events by a pattern on their name."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from tidings.sdk.exceptions import EventEmissionExit, ImproperlyConfigured

log = logging.getLogger(__name__)

ALLOWLIST = "allowlist"
BLOCKLIST = "blocklist"
FILTER_TYPES = (ALLOWLIST, BLOCKLIST)


class RegexFilter:
    """Keep (``allowlist``) or drop (``blocklist``) events whose name matches a pattern.

    Patterns are matched with :func:`re.match`, so they are anchored at the start of the name.

    Raises:
        ImproperlyConfigured: an unknown ``filter_type`` or an invalid regular expression. The
            message starts with the tracking library's wording, then says what was wrong.
    """

    def __init__(
        self, filter_type: str = ALLOWLIST, regular_expressions: Iterable[str] | None = None
    ) -> None:
        if filter_type not in FILTER_TYPES:
            log.error("Unsupported filter type %r; use %r or %r", filter_type, *FILTER_TYPES)
            raise ImproperlyConfigured(
                f"Invalid filter type is configured: filter_type must be 'allowlist' or "
                f"'blocklist', not {filter_type!r}"
            )
        self.filter_type = filter_type
        self.regular_expressions = _compile_all(list(regular_expressions or ()))

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        name = str(event.get("name", ""))
        matched = any(regex.match(name) for regex in self.regular_expressions)
        if matched != (self.filter_type == ALLOWLIST):
            raise EventEmissionExit()
        return event


def _compile_all(patterns: list[str]) -> list[re.Pattern[str]]:
    """Every pattern compiled; all the invalid ones are named in one error, not just the first."""
    compiled, invalid = [], []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            invalid.append(f"{pattern!r} ({exc})")
    if invalid:
        log.error("Invalid regular expressions in a RegexFilter: %s", ", ".join(invalid))
        raise ImproperlyConfigured(
            "Invalid Regular Expressions are configured: invalid regular expression "
            + ", ".join(invalid)
        )
    return compiled
