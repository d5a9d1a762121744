"""What has been happening, as the dashboard shows it: the newest event id (where a fresh live
tail starts) and per-session summaries."""

from __future__ import annotations

from tidings.storage import activity
from tidings.storage.activity import SessionSummary as SessionSummary
from tidings.storage.base import Storage


def latest_event_id(storage: Storage) -> int:
    """The highest stored event id, 0 when there are none."""
    return activity.latest_event_id(storage.engine)


def session_summaries(
    storage: Storage, namespace: str | None, since_us: int, limit: int
) -> list[SessionSummary]:
    """Up to ``limit`` sessions (of ``namespace``, if given) with events since ``since_us``,
    newest activity first; ``clicks`` counts their events named ``click``."""
    return activity.session_summaries(storage.engine, namespace, since_us, limit)
