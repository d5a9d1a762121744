"""``GET /api/v1/web``: the web summary of what ``/tidings.js`` sends (api.md section 8)."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.buckets import label
from tidings.core.product.web import (
    SERIES_GRANULARITIES,
    TOP_LISTS,
    WebQuery,
    WebSummary,
    web_summary,
)
from tidings.errors import Invalid, Unavailable
from tidings.http.api.params import event_filter, int_param
from tidings.http.deps import require_aggregator, runtime
from tidings.model.timeparse import now_us

#: Without ``from``, the summary covers this much before ``to`` (api.md section 8: 30 days).
DEFAULT_SPAN_US = 30 * 86_400 * 1_000_000
DAY_US = 86_400 * 1_000_000
#: Without ``granularity``: the finest series step whose buckets stay few for the range.
AUTO_GRANULARITY = ((2 * DAY_US, "hour"), (400 * DAY_US, "day"), (5 * 366 * DAY_US, "week"))
MAX_LIMIT = 1000


def _zone(params: QueryParams) -> ZoneInfo:
    name = params.get("tz") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("tz", f"{name!r} is not an IANA time zone") from None


def parse_web_query(params: QueryParams, now: int) -> WebQuery:
    """The summary ``params`` ask for at time ``now`` (us); raises Invalid naming the
    parameter. The dashboard's Web page shares it."""
    flt = event_filter(params)
    to_us = flt.to_us if flt.to_us is not None else now + 1
    from_us = flt.from_us if flt.from_us is not None else max(0, to_us - DEFAULT_SPAN_US)
    if from_us > to_us:
        raise Invalid.field("from", "must not be after 'to' (the default 'to' is now)")
    tz = _zone(params)
    granularity = params.get("granularity") or next(
        (step for span, step in AUTO_GRANULARITY if to_us - from_us <= span), "month"
    )
    if granularity not in SERIES_GRANULARITIES:
        raise Invalid.field("granularity", f"must be one of {', '.join(SERIES_GRANULARITIES)}")
    limit = int_param(params, "limit", 10, 1, MAX_LIMIT)
    return WebQuery(
        flt=dataclasses.replace(flt, from_us=from_us, to_us=to_us),
        tz=tz,
        granularity=granularity,
        limit=limit,
    )


async def summarise(request: Request, query: WebQuery) -> WebSummary:
    sql = runtime(request).event_sql
    if sql is None:
        raise Unavailable("The analytics queries are not available in this process.")
    try:
        return await web_summary(sql, query)
    except ValueError as exc:
        raise Invalid.field(
            "granularity", f"{exc}; use a coarser granularity or a shorter range"
        ) from None


def answer_of(summary: WebSummary, query: WebQuery) -> dict[str, object]:
    """The JSON answer: api.md's fields, then ``granularity``, ``tz`` and ``series``."""
    return {
        "visitors": summary.visitors,
        "pageviews": summary.pageviews,
        "sessions": summary.sessions,
        "bounce_rate": summary.bounce_rate,
        "avg_session_seconds": summary.avg_session_seconds,
        "top": {
            name: [dataclasses.asdict(row) for row in summary.top[name]] for name, _ in TOP_LISTS
        },
        "granularity": query.granularity,
        "tz": query.tz.key,
        "series": [
            {"start": label(p.start_us, query.tz), "visitors": p.visitors, "pageviews": p.pageviews}
            for p in summary.series
        ],
    }


async def read_web(request: Request) -> Response:
    await require_aggregator(request)
    query = parse_web_query(request.query_params, now_us())
    summary = await summarise(request, query)
    return Response(orjson.dumps(answer_of(summary, query)), media_type="application/json")
