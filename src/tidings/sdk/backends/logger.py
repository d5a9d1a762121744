"""A backend that writes each event as one JSON line to a :mod:`logging` logger."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

MAX_EVENT_SIZE = 1024


class DateTimeJSONEncoder(json.JSONEncoder):
    """Datetimes as ISO 8601 in UTC (naive ones are taken as UTC), dates as YYYY-MM-DD."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            o = o.replace(tzinfo=UTC) if o.utcoffset() is None else o.astimezone(UTC)
            return o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        return super().default(o)


class LoggerBackend:
    """Log events as JSON.

    Args:
        name: the logger's name (the root logger when None).
        max_event_size: events whose JSON is longer are dropped silently; None for no limit.
        level: the level to log at (``info``, ``warning``, ...).

    Other keyword arguments are accepted and ignored, so settings written with extra OPTIONS
    still build it. ``send`` raises TypeError for an event that cannot be serialized.
    """

    def __init__(
        self,
        name: str | None = None,
        max_event_size: int | None = MAX_EVENT_SIZE,
        level: str = "info",
        **_options: Any,
    ) -> None:
        self.max_event_size = max_event_size
        self.event_logger = logging.getLogger(name)
        self.log = getattr(self.event_logger, level.lower())

    def send(self, event: dict[str, Any]) -> None:
        text = json.dumps(event, cls=DateTimeJSONEncoder)
        if self.max_event_size is None or len(text) <= self.max_event_size:
            self.log(text)
