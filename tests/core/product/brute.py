"""Brute-force answers to the product questions, computed in plain Python over raw events, to
hold the SQL answers to (api.md section 8's precise meanings, read literally)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tidings.core.product.steps import EventKind


@dataclass(frozen=True)
class Raw:
    """An event as the brute force sees it (already inside the question's filter)."""

    ts: int
    namespace: str
    name: str
    user_id: str | None = None
    anonymous_id: str | None = None
    session_id: str | None = None
    props: Mapping[str, str] = field(default_factory=dict)


def person(event: Raw, links: Mapping[str, str]) -> str | None:
    if event.user_id:
        return event.user_id
    if event.anonymous_id:
        return links.get(event.anonymous_id) or "anon:" + event.anonymous_id
    return None


def matches(event: Raw, kind: EventKind) -> bool:
    return (
        event.namespace == kind.namespace
        and event.name == kind.name
        and all(event.props.get(k) == v for k, v in kind.props)
    )


def funnel(
    events: Iterable[Raw],
    steps: Sequence[EventKind],
    window_s: int,
    by: str,
    links: Mapping[str, str],
) -> list[tuple[int, float | None]]:
    """``(count, median_seconds)`` per step."""
    entities: dict[str, list[Raw]] = defaultdict(list)
    for e in events:
        key = person(e, links) if by == "person" else e.session_id
        if key is not None:
            entities[key].append(e)
    reached: list[list[int]] = [[] for _ in steps]
    window = window_s * 1_000_000
    for evs in entities.values():
        firsts = [e.ts for e in evs if matches(e, steps[0])]
        if not firsts:
            continue
        t0 = t = min(firsts)
        reached[0].append(0)
        for k in range(1, len(steps)):
            later = [e.ts for e in evs if matches(e, steps[k]) and t < e.ts <= t0 + window]
            if not later:
                break
            t = min(later)
            reached[k].append(t - t0)
    return [
        (len(r), None if k == 0 or not r else statistics.median(r) / 1_000_000)
        for k, r in enumerate(reached)
    ]


def period_start(ts: int, period: str, tz: ZoneInfo) -> datetime:
    local = datetime.fromtimestamp(ts / 1_000_000, tz).replace(tzinfo=None)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def offset(c: datetime, p: datetime, period: str) -> int:
    if period == "day":
        return (p - c).days
    if period == "week":
        return (p - c).days // 7
    return (p.year - c.year) * 12 + p.month - c.month


def retention(
    events: Iterable[Raw],
    start: EventKind,
    back: EventKind,
    period: str,
    periods: int,
    tz: ZoneInfo,
    links: Mapping[str, str],
) -> dict[datetime, list[int]]:
    """Cohort local start -> returned list."""
    evs = [(person(e, links), e) for e in events]
    firsts: dict[str, int] = {}
    for p, e in evs:
        if p is not None and matches(e, start):
            firsts[p] = min(firsts.get(p, e.ts), e.ts)
    cohorts: dict[datetime, list[int]] = defaultdict(lambda: [0] * periods)
    cohort_of = {p: period_start(t, period, tz) for p, t in firsts.items()}
    for c in cohort_of.values():
        cohorts[c][0] += 1
    seen: set[tuple[str, int]] = set()
    for p, e in evs:
        if p is None or p not in cohort_of or not matches(e, back):
            continue
        c = cohort_of[p]
        k = offset(c, period_start(e.ts, period, tz), period)
        if 1 <= k < periods and (p, k) not in seen:
            seen.add((p, k))
            cohorts[c][k] += 1
    return dict(cohorts)


def persons(
    events: Iterable[Raw],
    links: Mapping[str, str],
    traits: Mapping[str, dict[str, Any]],
    search: str = "",
) -> list[dict[str, Any]]:
    """Every person with an event, most recently seen first, as the API describes them
    (times as microseconds)."""
    found: dict[str, dict[str, Any]] = {}
    for e in events:
        p = person(e, links)
        if p is None:
            continue
        row = found.setdefault(
            p, {"person": p, "first": e.ts, "last": e.ts, "events": 0, "ids": set()}
        )
        row["first"] = min(row["first"], e.ts)
        row["last"] = max(row["last"], e.ts)
        row["events"] += 1
        if e.anonymous_id:
            row["ids"].add(e.anonymous_id)
    out = []
    for p, row in found.items():
        user = None if p.startswith("anon:") else p
        if user is not None:
            row["ids"].update(a for a, u in links.items() if u == user)
        record = traits.get(p.removeprefix("anon:"), {})
        texts = [v if isinstance(v, str) else repr(v) for v in record.values()]
        needle = search.lower()
        if needle and not (
            (user is not None and needle in user.lower())
            or any(needle in a.lower() for a in row["ids"])
            or any(needle in t.lower() for t in texts)
        ):
            continue
        out.append(
            {
                "person": p,
                "user_id": user,
                "anonymous_ids": sorted(row["ids"]),
                "traits": record,
                "first": row["first"],
                "last": row["last"],
                "events": row["events"],
            }
        )
    out.sort(key=lambda r: (-r["last"], r["person"]))
    return out
