"""Query-string parsing shared by list, export and aggregate: filters and times."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from tidings.errors import Invalid
from tidings.model.records import EventFilter
from tidings.model.timeparse import TimestampError, parse_timestamp

FILTER_KEYS = ("source", "namespace", "name", "user_id", "session_id", "from", "to")


def time_param(params: QueryParams, key: str) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    try:
        return parse_timestamp(raw)
    except TimestampError as exc:
        raise Invalid.field(key, str(exc)) from None


def int_param(params: QueryParams, key: str, default: int, low: int, high: int) -> int:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid.field(key, f"must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise Invalid.field(key, f"must be between {low} and {high}")
    return value


def event_filter(params: QueryParams) -> EventFilter:
    """Build the filter from ``source``, ``namespace``, ``name`` (repeatable), ``user_id``,
    ``session_id``, ``from`` (inclusive), ``to`` (exclusive) and ``prop.<key>=<value>``."""
    from_us = time_param(params, "from")
    to_us = time_param(params, "to")
    if from_us is not None and to_us is not None and from_us > to_us:
        raise Invalid.field("from", "must not be after 'to'")
    props = tuple(
        (key[5:], value) for key, value in params.multi_items() if key.startswith("prop.")
    )
    for key, _ in props:
        if not key:
            raise Invalid.field("prop.", "needs a property name, as in prop.plan=pro")
    return EventFilter(
        source=params.get("source") or None,
        namespace=params.get("namespace") or None,
        names=tuple(n for n in params.getlist("name") if n),
        user_id=params.get("user_id") or None,
        session_id=params.get("session_id") or None,
        from_us=from_us,
        to_us=to_us,
        props=props,
    )
