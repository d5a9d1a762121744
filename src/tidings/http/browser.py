"""Browser events on the native ingest route: what the server adds, and what it drops.

``/tidings.js`` posts to ``POST /api/v1/events`` like any client, and marks its events with
``context.library.name = "tidings.js"``. For those events (api.md section 8, "Web"), before
validation, as if the page had sent them:

- ``browser``, ``os`` and ``device`` are derived from the request's User-Agent and stored as
  properties (the server's answer replaces anything the page sent under those keys);
- an event with neither ``user_id`` nor ``anonymous_id`` gets the daily-salted visitor id as
  ``anonymous_id`` (a page that calls ``identify`` sends a ``user_id``, which takes over);
- ``context.userAgent``, ``context.userAgentData`` and ``context.ip`` are dropped. Neither the
  client address nor the User-Agent is stored anywhere; both only feed the hash and the parser.

Other events on the route are untouched: a server's events are not a browser's visits.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from tidings.core.visitors import describe
from tidings.http.deps import client_ip, runtime
from tidings.http.headers import header

LIBRARY = "tidings.js"
#: Context keys that would keep a full User-Agent or an address.
_DROPPED = ("userAgent", "userAgentData", "ip")


def _is_browser(event: object) -> bool:
    if type(event) is not dict:
        return False
    context = event.get("context")
    if type(context) is not dict:
        return False
    library = context.get("library")
    return type(library) is dict and library.get("name") == LIBRARY


def browser_events(data: object) -> list[dict[str, Any]]:
    """The events of a decoded ingest body (one event or ``{"events": [...]}``) that the
    snippet sent. Costs a few dict lookups per event when there are none."""
    if type(data) is not dict:
        return []
    events = data.get("events")
    if events is None:
        return [data] if _is_browser(data) else []
    if type(events) is not list:
        return []
    return [e for e in events if _is_browser(e)]


async def mark_browser_events(
    request: Request, source_id: int, events: list[dict[str, Any]], now_us: int
) -> None:
    """Add the derived properties and the visitor id to ``events`` in place; drop the rest."""
    ua = header(request, b"user-agent") or ""
    device = describe(ua)
    derived = {
        key: value
        for key, value in (
            ("browser", device.browser),
            ("os", device.os),
            ("device", device.device),
        )
        if value is not None
    }
    anonymous: str | None = None
    for event in events:
        properties = event.get("properties")
        if properties is None:
            event["properties"] = dict(derived)
        elif type(properties) is dict:
            properties.update(derived)
        context = event["context"]
        for key in _DROPPED:
            context.pop(key, None)
        if event.get("user_id") is None and event.get("anonymous_id") is None:
            if anonymous is None:
                hasher = runtime(request).visitors
                if hasher is None:
                    continue
                anonymous = await hasher.anonymous_id(now_us, source_id, client_ip(request), ua)
            event["anonymous_id"] = anonymous
