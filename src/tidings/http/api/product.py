"""``GET /api/v1/funnel`` and ``GET /api/v1/retention`` (api.md section 8)."""

from __future__ import annotations

import dataclasses

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.event_sql import EventSQL, LoadedEvents
from tidings.core.product.funnel import (
    DEFAULT_WINDOW,
    ENTITY,
    MAX_STEPS,
    MIN_STEPS,
    FunnelQuery,
    funnel,
)
from tidings.core.product.retention import (
    DEFAULT_PERIODS,
    MAX_PERIODS,
    PERIODS,
    RetentionQuery,
    retention,
)
from tidings.errors import Invalid
from tidings.http.api.analytics_params import analytics_filter, choice, event_kind, zone
from tidings.http.api.params import int_param
from tidings.http.deps import require_aggregator, runtime

#: The longest conversion window: ten years, in seconds.
MAX_WINDOW = 10 * 366 * 86_400


def event_sql(request: Request) -> EventSQL:
    rt = runtime(request)
    return rt.event_sql or LoadedEvents(rt.storage)


def parse_funnel(params: QueryParams) -> FunnelQuery:
    raw = params.getlist("step")
    if not MIN_STEPS <= len(raw) <= MAX_STEPS:
        raise Invalid.field("step", f"give {MIN_STEPS} to {MAX_STEPS} steps as NAMESPACE/NAME")
    steps = [event_kind("step", r) for r in raw]
    props: list[list[tuple[str, str]]] = [[] for _ in steps]
    for key, value in params.multi_items():
        if not key.startswith("step."):
            continue
        number, _, rest = key[5:].partition(".")
        if not number.isdigit() or not 1 <= int(number) <= len(steps):
            raise Invalid.field(key, f"K in step.K.prop.KEY must be 1 to {len(steps)}")
        if not rest.startswith("prop.") or len(rest) == 5:
            raise Invalid.field(key, "must be step.K.prop.KEY=VALUE")
        props[int(number) - 1].append((rest[5:], value))
    return FunnelQuery(
        steps=tuple(
            dataclasses.replace(s, props=tuple(p)) for s, p in zip(steps, props, strict=True)
        ),
        window=int_param(params, "window", DEFAULT_WINDOW, 0, MAX_WINDOW),
        by=choice(params, "by", tuple(ENTITY), "person"),
    )


def parse_retention(params: QueryParams) -> RetentionQuery:
    return RetentionQuery(
        start=event_kind("start", params.get("start")),
        returning=event_kind("return", params.get("return")),
        period=choice(params, "period", PERIODS, "week"),
        periods=int_param(params, "periods", DEFAULT_PERIODS, 1, MAX_PERIODS),
        tz=zone(params),
    )


def _json(answer: object) -> Response:
    return Response(orjson.dumps(answer), media_type="application/json")


async def read_funnel(request: Request) -> Response:
    await require_aggregator(request)
    params = request.query_params
    query = parse_funnel(params)
    zone(params)  # accepted like every analytics question's, and checked
    answer = await funnel(event_sql(request), analytics_filter(params), query)
    return _json(answer)


async def read_retention(request: Request) -> Response:
    await require_aggregator(request)
    params = request.query_params
    query = parse_retention(params)
    answer = await retention(event_sql(request), analytics_filter(params), query)
    return _json(answer)
