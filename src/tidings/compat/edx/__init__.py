"""edX: the Segment webhook of edx-platform and the legacy browser endpoint (api.md 3.2)."""

from __future__ import annotations

from tidings.compat.edx import docs, legacy_event, webhook
from tidings.http import cors
from tidings.http.routing import Entry, endpoint

ROUTES: list[Entry] = [
    endpoint("/segmentio/event", webhook.segmentio_event, "POST", doc=docs.SEGMENTIO_EVENT),
    # Pages of the LMS (another origin) send with a write key.
    endpoint(
        "/event",
        cors.open_to_any_origin(legacy_event.user_track),
        "GET",
        "POST",
        doc=docs.USER_TRACK,
    ),
    endpoint("/event", cors.preflight, "OPTIONS", doc=docs.PREFLIGHT),
]
