"""Aggregation: buckets in a time zone, served from rollup tiers plus raw edges.

Each bucket's effective range ``[lo, hi)`` is cut into the coarsest aligned pieces that fit:
whole UTC days from the day tier, whole hours from the hour tier, whole minutes from the minute
tier and the sub-minute rest from raw events. So a two-year day-bucket query reads ~730 day
rows, not a million minute rows. Functions that cannot be rolled up (distinct users,
percentiles), group-by a property, and filters on user/session/properties scan raw rows,
except that whole sealed UTC days answer distinct users and percentiles from one stored row
each (core/sealed_days.py). Either way the answer equals a brute-force scan of the raw
events, unless the query asks for ``approx`` answers from merged sketches.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import orjson

from tidings.analytics.columnar import TierQueryFailed
from tidings.core import aggregate_groups, aggregate_tier, sealed_days
from tidings.core.aggregate_acc import Acc, acc_at, fold, value_of
from tidings.core.aggregate_groups import OTHER
from tidings.core.aggregate_tier import SQLRunner
from tidings.core.buckets import boundaries, label
from tidings.model.records import EventFilter, Stream, person_of
from tidings.storage.base import Storage
from tidings.storage.schema import QUANTILES, TIERS

log = logging.getLogger("tidings.aggregate")

ROLLUP_FUNCTIONS = ("count", "sum", "avg", "min", "max")
PERCENTILES = QUANTILES
FUNCTIONS = (*ROLLUP_FUNCTIONS, "distinct_users", *PERCENTILES)
MAX_BUCKETS = 100_000
_MINUTE = TIERS[0][1]
_COARSEST = TIERS[-1][1]

Range = tuple[int, int]


@dataclass(frozen=True)
class AggregateQuery:
    """What to aggregate. ``flt.from_us`` / ``flt.to_us`` must be set (the API defaults them)."""

    flt: EventFilter
    granularity: str = "day"
    fn: str = "count"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    group_by: str | None = None
    fill: bool = False
    #: Merge day sketches for buckets spanning several sealed days (see core/sealed_days.py).
    approx: bool = False
    #: Grouped: keep this many groups and fold the rest into "(other)" (None keeps all).
    limit: int | None = None


@dataclass(frozen=True)
class Bucket:
    start: str | None
    value: float | None
    count: int
    group: str | None = None


def _ceil(us: int, width: int) -> int:
    return -(-us // width) * width


def decompose(lo: int, hi: int) -> tuple[list[list[Range]], list[Range]]:
    """Split ``[lo, hi)`` into aligned pieces per rollup tier, plus raw remainders."""
    tiers: list[list[Range]] = [[] for _ in TIERS]
    raw: list[Range] = []
    if lo < hi and lo % _COARSEST == 0 and hi % _COARSEST == 0:
        # The common case (UTC day, week and month buckets) in one step: whole coarsest rows.
        tiers[-1].append((lo, hi))
        return tiers, raw
    left, right = lo, hi
    for index, (_table, width) in enumerate(TIERS):
        a, b = _ceil(left, width), right - right % width
        if a >= b:
            target = raw if index == 0 else tiers[index - 1]
            target.append((left, right))
            return tiers, raw
        target = raw if index == 0 else tiers[index - 1]
        target.extend(r for r in ((left, a), (b, right)) if r[0] < r[1])
        left, right = a, b
    tiers[-1].append((left, right))
    return tiers, raw


def _merge(ranges: Iterable[Range]) -> list[Range]:
    merged: list[Range] = []
    for lo, hi in sorted(ranges):
        if merged and merged[-1][1] == lo:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _group_of_stream(stream: Stream, group_by: str | None) -> str | None:
    if group_by == "name":
        return stream.name
    if group_by == "source":
        return stream.source
    if group_by == "namespace":
        return stream.namespace
    return None


def _prop_group(properties: str | None, key: str) -> str | None:
    if properties is None:
        return None
    value = orjson.loads(properties).get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def needs_raw(query: AggregateQuery) -> bool:
    flt = query.flt
    return (
        query.fn not in ROLLUP_FUNCTIONS
        or (query.group_by or "").startswith("prop.")
        or flt.user_id is not None
        or flt.session_id is not None
        or bool(flt.props)
    )


def aggregate(
    storage: Storage, query: AggregateQuery, tier: SQLRunner | None = None
) -> list[Bucket]:
    """Run ``query`` (blocking; call it from a worker thread); see :func:`answer`."""
    return answer(storage, query, tier)[0]


def answer(
    storage: Storage, query: AggregateQuery, tier: SQLRunner | None = None
) -> tuple[list[Bucket], int | None]:
    """The buckets of ``query`` and, when grouped, how many groups the range holds.

    The path is chosen per question, all exact: rollups when they answer it; sealed days
    for distinct users and percentiles of whole streams over whole days; else the analytics
    ``tier`` when there is one; else a scan of the raw rows.

    Raises:
        ValueError: the range needs more than MAX_BUCKETS buckets.
    """
    flt = query.flt
    assert flt.from_us is not None and flt.to_us is not None
    if query.granularity == "total":
        edges = [flt.from_us, flt.to_us]
    else:
        edges = boundaries(flt.from_us, flt.to_us, query.granularity, query.tz, MAX_BUCKETS)
    # Effective ranges: bucket edges clipped to [from, to).
    starts = [max(edge, flt.from_us) for edge in edges[:-1]]
    ranges = [(s, min(e, flt.to_us)) for s, e in zip(starts, edges[1:], strict=True)]
    streams = {s.id: s for s in storage.streams(flt)}
    accs: dict[tuple[int, str | None], Acc] = {}
    total: int | None = None
    if streams and ranges and ranges[0][0] < ranges[-1][1]:
        in_sql = None
        if tier is not None and needs_raw(query) and not _sealed_first(query):
            in_sql = aggregate_tier.bucket_sql(edges, query.granularity == "total")
        answered = False
        if in_sql is not None and tier is not None:
            try:
                total = _from_tier(tier, query, in_sql, accs)
                answered = True
            except TierQueryFailed:
                # Past the tier's memory limit: the raw scan answers, exactly and slower.
                log.warning("aggregate: the analytics tier failed; scanning raw rows")
                accs.clear()
        if not answered and needs_raw(query):
            total = _scan_raw(storage, query, streams, starts, ranges, accs)
        elif not answered:
            _from_rollups(storage, query, streams, starts, ranges, accs)
    if query.group_by is not None and total is None:
        total = fold(accs, query.limit)
    return _buckets(query, edges, accs), (total or 0) if query.group_by is not None else None


def _sealed_first(query: AggregateQuery) -> bool:
    """Sealed days answer distinct users and percentiles of whole day-or-longer buckets of
    whole streams from one stored row per stream and day: faster than any scan."""
    return (
        query.fn not in ROLLUP_FUNCTIONS
        and not (query.group_by or "").startswith("prop.")
        and sealed_days.applies(query.flt)
        and query.granularity not in ("minute", "hour")
    )


def _from_tier(
    tier: SQLRunner,
    query: AggregateQuery,
    buckets: tuple[str, list[object]],
    accs: dict[tuple[int, str | None], Acc],
) -> int | None:
    rows, total = aggregate_tier.answer(
        tier, query.flt, query.fn, query.group_by, query.limit, buckets, PERCENTILES
    )
    for bucket, group, count, value in rows:
        accs[(bucket, group)] = Acc(count=count, computed=value)
    return total


def _from_rollups(
    storage: Storage,
    query: AggregateQuery,
    streams: dict[int, Stream],
    starts: list[int],
    ranges: list[Range],
    accs: dict[tuple[int, str | None], Acc],
) -> None:
    # Each bucket splits into aligned pieces per tier (plus raw remainders at minute edges);
    # storage sums each tier's pieces per bucket, so Python sees one row per bucket and
    # stream instead of every hour or minute row of the range.
    per_tier: list[list[tuple[int, int, int]]] = [[] for _ in TIERS]
    raw: list[Range] = []
    for bucket, (lo, hi) in enumerate(ranges):
        if lo >= hi:
            continue
        if lo % _COARSEST == 0 and hi % _COARSEST == 0:  # decompose's fast path, inlined
            per_tier[-1].append((bucket, lo, hi))
            continue
        tiers, rest = decompose(lo, hi)
        for index, pieces in enumerate(tiers):
            per_tier[index].extend((bucket, a, b) for a, b in pieces)
        raw.extend(rest)
    ids = sorted(streams)
    for index, tier_pieces in enumerate(per_tier):
        if not tier_pieces:
            continue
        for total in storage.rollup_totals(index, ids, tier_pieces):
            group = _group_of_stream(streams[total.stream_id], query.group_by)
            acc_at(accs, (total.key, group)).add_rollup(
                total.count, total.sum, total.min, total.max
            )
    if raw:
        for event in storage.raw_rows(ids, _merge(raw)):
            bucket = bisect.bisect_right(starts, event.ts) - 1
            group = _group_of_stream(streams[event.stream_id], query.group_by)
            v = event.value
            acc_at(accs, (bucket, group)).add_rollup(1, v, v, v)


def _scan_raw(
    storage: Storage,
    query: AggregateQuery,
    streams: dict[int, Stream],
    starts: list[int],
    ranges: list[Range],
    accs: dict[tuple[int, str | None], Acc],
) -> int | None:
    """Raw rows into ``accs``; returns the group count when it applied ``limit`` itself."""
    group_by = query.group_by or ""
    prop_key = group_by[5:] if group_by.startswith("prop.") else None
    if prop_key is None and query.fn not in ROLLUP_FUNCTIONS:
        return _raw_in_storage(storage, query, streams, ranges, accs)
    keep_values = query.fn in PERCENTILES
    keep_users = query.fn == "distinct_users"
    whole = [(ranges[0][0], ranges[-1][1])]
    for event in storage.raw_rows(sorted(streams), whole, query.flt):
        bucket = bisect.bisect_right(starts, event.ts) - 1
        if prop_key is not None:
            group = _prop_group(event.properties, prop_key)
        else:
            group = _group_of_stream(streams[event.stream_id], query.group_by)
        acc = acc_at(accs, (bucket, group))
        v = event.value
        acc.add_rollup(1, v, v, v)
        if keep_values:
            acc.values.append(v)
        if keep_users:
            person = person_of(event.user_id, event.anonymous_id)
            if person is not None:
                acc.users.add(person)
    return None


def _raw_in_storage(
    storage: Storage,
    query: AggregateQuery,
    streams: dict[int, Stream],
    ranges: list[Range],
    accs: dict[tuple[int, str | None], Acc],
) -> int | None:
    # Distinct users and percentiles do not add up across buckets or streams, so the engine
    # computes them per bucket for each group's streams at once (a COUNT DISTINCT or a
    # percentile in SQL), instead of handing every raw row to Python. Buckets that sealed
    # days can answer (core/sealed_days.py) skip even that. Nor do they add up across
    # groups: with ``limit``, "(other)" is computed again over the other groups' streams.
    pieces = [(bucket, lo, hi) for bucket, (lo, hi) in enumerate(ranges) if lo < hi]
    groups: dict[str | None, list[int]] = {}
    for stream_id in sorted(streams):
        groups.setdefault(_group_of_stream(streams[stream_id], query.group_by), []).append(
            stream_id
        )
    for group, ids in groups.items():
        _computed(storage, query, group, ids, pieces, accs)
    if query.group_by is None:
        return None
    totals = aggregate_groups.totals_of((g, acc.count) for (_b, g), acc in accs.items())
    totals = {g: n for g, n in totals.items() if n > 0}
    keep = None if query.limit is None else aggregate_groups.kept(totals, query.limit)
    if keep is not None:
        for key in [key for key in accs if key[1] not in keep]:
            del accs[key]
        others = sorted(i for g, ids in groups.items() if g not in keep for i in ids)
        _computed(storage, query, OTHER, others, pieces, accs)
    return len(totals)


def _computed(
    storage: Storage,
    query: AggregateQuery,
    group: str | None,
    ids: list[int],
    pieces: Sequence[tuple[int, int, int]],
    accs: dict[tuple[int, str | None], Acc],
) -> None:
    rest: Sequence[tuple[int, int, int]] = pieces
    if sealed_days.applies(query.flt):
        answers, rest = sealed_days.serve(storage, query.fn, query.approx, ids, pieces)
        for key, found in answers.items():
            accs[(key, group)] = Acc(count=found.count, computed=found.value)
    if not rest:
        return
    if query.fn == "distinct_users":
        stats = storage.distinct_persons(ids, rest, query.flt)
    else:
        stats = storage.value_percentile(PERCENTILES[query.fn], ids, rest, query.flt)
    for stat in stats:
        accs[(stat.key, group)] = Acc(count=stat.count, computed=stat.value)


def _buckets(
    query: AggregateQuery, edges: Sequence[int], accs: dict[tuple[int, str | None], Acc]
) -> list[Bucket]:
    grouped = query.group_by is not None
    groups = (
        sorted({g for _, g in accs}, key=lambda g: (g == OTHER, g is None, g or ""))
        if grouped
        else [None]
    )
    if query.granularity == "total":
        starts_out: list[str | None] = [
            label(query.flt.from_us, query.tz) if query.flt.from_us else None
        ]
    else:
        starts_out = [label(edge, query.tz) for edge in edges[:-1]]
    out: list[Bucket] = []
    for index, start in enumerate(starts_out):
        for group in groups:
            acc = accs.get((index, group))
            if acc is None and not query.fill:
                continue
            out.append(
                Bucket(
                    start=start,
                    value=value_of(query.fn, acc),
                    count=acc.count if acc else 0,
                    group=group,
                )
            )
    return out


def iter_buckets(buckets: Iterable[Bucket], grouped: bool) -> Iterator[dict[str, object]]:
    for bucket in buckets:
        item: dict[str, object] = {
            "start": bucket.start,
            "value": bucket.value,
            "count": bucket.count,
        }
        if grouped:
            item["group"] = bucket.group
        yield item
