"""Processors: callables that may change, replace or drop an event before the backends.

One module each, named as in the tracking library: :mod:`.whitelist`, :mod:`.regex_filter`,
and :mod:`.exceptions` for what a processor raises.
"""

from tidings.sdk.processors.regex_filter import ALLOWLIST, BLOCKLIST, FILTER_TYPES, RegexFilter
from tidings.sdk.processors.whitelist import NameWhitelistProcessor

__all__ = ["ALLOWLIST", "BLOCKLIST", "FILTER_TYPES", "NameWhitelistProcessor", "RegexFilter"]
