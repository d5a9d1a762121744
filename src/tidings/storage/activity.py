"""Dashboard reads the Storage interface does not offer: the newest event id and per-session
summaries. Portable SQLAlchemy Core, for every engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, case, func, select

from tidings.storage.schema import events, sources, streams


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    source: str
    first_us: int
    last_us: int
    events: int
    clicks: int
    user_id: str | None

    @property
    def duration_s(self) -> float:
        return (self.last_us - self.first_us) / 1_000_000


def latest_event_id(engine: Engine) -> int:
    """The highest stored event id, 0 when there are none."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(events.c.id))).scalar()
    return int(value or 0)


def session_summaries(
    engine: Engine, namespace: str | None, since_us: int, limit: int
) -> list[SessionSummary]:
    """Sessions with events since ``since_us``, newest activity first. ``clicks`` counts the
    session's events named ``click`` (api.md section 7, Microticks)."""
    last = func.max(events.c.ts)
    query = (
        select(
            events.c.session_id,
            func.min(sources.c.name),
            func.min(events.c.ts),
            last,
            func.count(),
            func.sum(case((streams.c.name == "click", 1), else_=0)),
            func.max(events.c.user_id),
        )
        .select_from(
            events.join(streams, streams.c.id == events.c.stream_id).join(
                sources, sources.c.id == events.c.source_id
            )
        )
        .where(events.c.session_id.is_not(None), events.c.ts >= since_us)
        .group_by(events.c.session_id)
        .order_by(last.desc())
        .limit(limit)
    )
    if namespace:
        query = query.where(streams.c.namespace == namespace)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SessionSummary(
            str(row[0]),
            str(row[1]),
            int(row[2]),
            int(row[3]),
            int(row[4]),
            int(row[5] or 0),
            row[6],
        )
        for row in rows
    ]
