"""A tracking backend that forwards events to a Tidings server through a :class:`Client`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tidings.sdk.client import Client

log = logging.getLogger("tidings.sdk")

DEFAULT_NAMESPACE = "tracking"
# Envelope keys that map onto core event fields; others are kept in the context.
_ENVELOPE = frozenset(("name", "event_type", "timestamp", "time", "data", "event", "context"))


class HTTPBackend:
    """Send each tracking event to Tidings as one core event.

    The envelope maps as: ``name`` -> name, ``timestamp`` -> timestamp, ``data`` ->
    properties (non-mapping data as ``{"data": value}``), ``context`` -> context, with
    ``context.user_id`` / ``context.session`` as the user and session. Events reshaped by a
    legacy processor (``event_type``, ``time``, ``event``) are read the same way.

    Args:
        host: the Tidings base URL.
        write_key: a source write key.
        namespace: the core namespace for every event (default ``tracking``).
        **options: passed to :class:`Client` (``flush_at``, ``gzip``, ``on_error``, ...).
    """

    def __init__(
        self, host: str, write_key: str, namespace: str = DEFAULT_NAMESPACE, **options: Any
    ) -> None:
        self.namespace = namespace
        self.client = Client(host, write_key, **options)

    def send(self, event: Mapping[str, Any]) -> None:
        name = event.get("name") or event.get("event_type") or "unknown"
        data = event.get("data", event.get("event"))
        properties = dict(data) if isinstance(data, Mapping) else ({"data": data} if data else None)
        raw_context = event.get("context")
        context = dict(raw_context) if isinstance(raw_context, Mapping) else {}
        for key, value in event.items():
            if key not in _ENVELOPE:
                context.setdefault(key, value)
        user = context.get("user_id")
        session = context.get("session")
        self.client.track(
            self.namespace,
            str(name)[:200],
            properties=properties,
            timestamp=event.get("timestamp", event.get("time")),
            context=context or None,
            user_id=str(user) if user not in (None, "") else None,
            session_id=str(session) if session not in (None, "") else None,
        )

    def flush(self, timeout: float | None = None) -> bool:
        return self.client.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        return self.client.shutdown(timeout)
