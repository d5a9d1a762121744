"""The legacy tracking event one Segment webhook call becomes, field for field as the 2014
edx-platform webhook built it (seed-systems.md 2.3).

The original merged three layers into the event's context: its request context (path, an
empty course and org, and fields it moved to the top level), the Segment ``context`` as
``client``, then ``properties.context`` over both, and last the user id, the org of a valid
course id and ``received_at``. The fields it lifted to the top level (and one used only by
Segment web analytics) were then removed from the context, wherever they came from.

Its top level: ``ip``, ``page`` and ``event`` come from ``properties``; ``host`` is the
request's unless ``properties.context`` names one; ``agent`` is always empty; ``event_type``
is ``properties.event_type`` as sent, even empty. The time is the core event's timestamp.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from tidings.model.events import NAME_MAX

log = logging.getLogger("tidings.compat.edx")

# Old-style "org/course/run" and opaque "course-v1:org+course+run" course keys.
_SLASH_KEY = re.compile(r"^([^/+\s]+)/([^/+\s]+)/([^/+\s]+)$")
_OPAQUE_KEY = re.compile(r"^course-v1:([^/+\s]+)\+([^/+\s]+)\+([^/+\s]+)$")

#: Context fields the original stored at the top level (or not at all), so never in context.
_LIFTED = frozenset(
    ("username", "session", "ip", "agent", "host", "referer", "accept_language", "client_id")
)

#: Where each top-level field comes from on the wire, to name it in an error.
WIRE_NAMES = {
    "username": "the user's username trait",
    "event_type": "properties.event_type",
    "event_source": "channel",
    "event": "properties.event",
    "page": "properties.page",
    "host": "properties.context.host",
    "ip": "properties.ip",
}

#: The core event's name when neither the edX type nor a Segment name gives one.
UNNAMED = "unknown"


@dataclass(frozen=True)
class Request:
    """What the original read from the HTTP request itself."""

    path: str
    host: str


def org_id(course_id: object) -> str | None:
    """The org of a valid course key, else None."""
    if not isinstance(course_id, str):
        return None
    match = _SLASH_KEY.match(course_id) or _OPAQUE_KEY.match(course_id)
    return match.group(1) if match else None


def _overlay(properties: dict[str, Any]) -> dict[str, Any]:
    # Not an object: the original failed with a 500; Tidings keeps the event without it.
    extra = properties.get("context")
    return extra if isinstance(extra, dict) else {}


def context(
    event: dict[str, Any], user_id: object, received_at: str, request: Request
) -> dict[str, Any]:
    """The stored context. ``user_id`` is the ``userId`` as sent (the original kept it so)."""
    overlay = _overlay(event["properties"])
    merged: dict[str, Any] = {"path": request.path, "course_id": "", "org_id": ""}
    if event.get("context"):
        merged["client"] = event["context"]
    merged.update(overlay)
    merged["user_id"] = user_id
    course_id = overlay.get("course_id")
    if course_id:
        org = org_id(course_id)
        if org is None:
            # The original only warned and still kept the event; so does Tidings.
            log.warning("edX webhook: unparsable course_id %r", course_id)
        else:
            merged["org_id"] = org
    merged["received_at"] = received_at
    return {key: value for key, value in merged.items() if key not in _LIFTED}


def top_level(event: dict[str, Any], username: str, request: Request) -> dict[str, Any]:
    """The stored properties: the legacy event's top-level fields but its time and context."""
    properties: dict[str, Any] = event["properties"]
    overlay = _overlay(properties)
    return {
        "username": username,
        "event_type": properties["event_type"],
        "event_source": event.get("channel"),
        "event": properties.get("event", {}),
        "page": properties.get("page"),
        "host": overlay["host"] if "host" in overlay else request.host,
        "agent": "",
        "ip": properties.get("ip", ""),
    }


def _usable(name: object) -> bool:
    return isinstance(name, str) and 0 < len(name) <= NAME_MAX and "\x00" not in name


def core_name(event: dict[str, Any]) -> str:
    """The core event's name: the edX type, else the Segment track event or screen name.

    The original had no such field and kept events of any type, so no choice here refuses
    one: a type the name column cannot hold stays in ``properties.event_type`` as sent.
    """
    for name in (event["properties"]["event_type"], event.get("event"), event.get("name")):
        if _usable(name):
            return str(name)
    return UNNAMED
