"""Query-string parsing shared by the analytics questions (api.md section 8): the list
filters with the default range (the last 30 days), ``tz``, and ``NS/NAME`` event kinds."""

from __future__ import annotations

import dataclasses
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from starlette.datastructures import QueryParams

from tidings.core.product.steps import EventKind
from tidings.errors import Invalid
from tidings.http.api.params import event_filter
from tidings.model.records import EventFilter
from tidings.model.timeparse import now_us

DEFAULT_RANGE_US = 30 * 86_400 * 1_000_000


def analytics_filter(params: QueryParams) -> EventFilter:
    """The list filters; a missing ``to`` is now, a missing ``from`` 30 days before ``to``."""
    flt = event_filter(params)
    to_us = flt.to_us if flt.to_us is not None else now_us() + 1
    from_us = flt.from_us if flt.from_us is not None else max(0, to_us - DEFAULT_RANGE_US)
    return dataclasses.replace(flt, from_us=from_us, to_us=to_us)


@functools.cache
def _zone_names() -> frozenset[str]:
    # ``localtime`` is a link to the host's zone file, not a zone name: DuckDB refuses it.
    return frozenset(available_timezones()) - {"localtime"}


def zone(params: QueryParams) -> ZoneInfo:
    """``tz``: an IANA zone name that Python and the SQL engine (DuckDB's ICU) both know."""
    name = params.get("tz") or "UTC"
    if name not in _zone_names():
        raise Invalid.field("tz", f"{name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("tz", f"{name!r} is not an IANA time zone") from None


def event_kind(field: str, raw: str | None) -> EventKind:
    """``NS/NAME`` (the namespace ends at the first ``/``) as an event kind."""
    if not raw:
        raise Invalid.field(field, "is required, as NAMESPACE/NAME")
    namespace, slash, name = raw.partition("/")
    if not slash or not namespace or not name:
        raise Invalid.field(field, f"{raw!r} is not NAMESPACE/NAME")
    if len(namespace) > 200 or len(name) > 200:
        raise Invalid.field(field, "namespace and name are 1 to 200 characters each")
    return EventKind(namespace, name)


def choice(params: QueryParams, key: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(key) or default
    if value not in choices:
        raise Invalid.field(key, f"must be one of {', '.join(choices)}")
    return value
