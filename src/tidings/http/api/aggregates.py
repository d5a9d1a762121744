"""``GET /api/v1/aggregate``: buckets of a function over events, in a time zone."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.aggregate import FUNCTIONS, AggregateQuery, answer, iter_buckets
from tidings.core.analytics.parquet_tier import ParquetTier
from tidings.core.analytics.tier import Tier
from tidings.core.buckets import GRANULARITIES
from tidings.core.unknown import unknown
from tidings.errors import Invalid
from tidings.http.api.params import event_filter, int_param
from tidings.http.deps import require_aggregator, runtime
from tidings.model.timeparse import now_us

#: When ``from`` is missing, this much before ``to`` (microseconds), by granularity.
DEFAULT_SPAN = {
    "minute": timedelta(hours=1),
    "hour": timedelta(days=1),
    "day": timedelta(days=30),
    "week": timedelta(weeks=12),
    "month": timedelta(days=365),
    "year": timedelta(days=5 * 365),
}
GROUPS = ("name", "source", "namespace")


def _span_us(granularity: str) -> int:
    return int(DEFAULT_SPAN[granularity].total_seconds()) * 1_000_000


def _flag(params: QueryParams, key: str) -> bool:
    raw = params.get(key, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise Invalid.field(key, "must be true or false")
    return raw in ("true", "1")


def parse_query(request: Request) -> AggregateQuery:
    return parse_params(request.query_params)


def parse_params(params: QueryParams) -> AggregateQuery:
    """The aggregate query in ``params``; the dashboard explorer shares it with the API."""
    granularity = params.get("granularity", "day")
    if granularity not in GRANULARITIES:
        raise Invalid.field("granularity", f"must be one of {', '.join(GRANULARITIES)}")
    fn = params.get("fn", "count")
    if fn not in FUNCTIONS:
        raise Invalid.field("fn", f"must be one of {', '.join(FUNCTIONS)}")
    tz_name = params.get("tz", "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("tz", f"{tz_name!r} is not an IANA time zone") from None
    group_by = params.get("group_by") or None
    if (
        group_by is not None
        and group_by not in GROUPS
        and not (group_by.startswith("prop.") and len(group_by) > 5)
    ):
        raise Invalid.field("group_by", "must be name, source, namespace or prop.<key>")
    limit = int_param(params, "limit", 50, 1, 1000) if group_by is not None else None
    fill = _flag(params, "fill")
    approx = _flag(params, "approx")
    flt = event_filter(params)
    to_us = flt.to_us if flt.to_us is not None else now_us() + 1
    if flt.from_us is not None:
        from_us = flt.from_us
    elif granularity == "total":
        from_us = 0
    else:
        from_us = max(0, to_us - _span_us(granularity))
    return AggregateQuery(
        flt=dataclasses.replace(flt, from_us=from_us, to_us=to_us),
        granularity=granularity,
        fn=fn,
        tz=tz,
        group_by=group_by,
        fill=fill,
        approx=approx,
        limit=limit,
    )


async def read_aggregate(request: Request) -> Response:
    await require_aggregator(request)
    query = parse_query(request)
    rt = runtime(request)
    # Only the columnar tier beats the aggregate's own paths; the exact fallback would not.
    tier = rt.event_sql if isinstance(rt.event_sql, Tier | ParquetTier) else None
    try:
        buckets, groups_total = await run_in_threadpool(answer, rt.storage, query, tier)
    except ValueError as exc:
        raise Invalid.field(
            "granularity", f"{exc}; use a coarser granularity or a shorter range"
        ) from None
    body: dict[str, object] = {
        "granularity": query.granularity,
        "fn": query.fn,
        "tz": query.tz.key,
        "buckets": list(iter_buckets(buckets, query.group_by is not None)),
    }
    if groups_total is not None:
        body["groups_total"] = groups_total
    never_seen = await run_in_threadpool(unknown, rt.storage, query.flt)
    if never_seen:
        body["unknown"] = never_seen
    return Response(orjson.dumps(body), media_type="application/json")
