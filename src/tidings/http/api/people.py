"""``GET /api/v1/persons`` and ``GET /api/v1/persons/{person}`` (api.md section 8)."""

from __future__ import annotations

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.product.persons import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PersonsQuery,
    get_person,
    list_persons,
)
from tidings.errors import Invalid, NotFound
from tidings.http.api.analytics_params import analytics_filter, zone
from tidings.http.api.params import int_param
from tidings.http.api.product import event_sql
from tidings.http.deps import require_aggregator, runtime

MAX_SEARCH = 200


def parse_persons(params: QueryParams) -> PersonsQuery:
    search = params.get("search", "")
    if len(search) > MAX_SEARCH:
        raise Invalid.field("search", f"must be at most {MAX_SEARCH} characters")
    return PersonsQuery(
        search=search,
        limit=int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        after=params.get("after") or None,
    )


async def read_persons(request: Request) -> Response:
    await require_aggregator(request)
    params = request.query_params
    query = parse_persons(params)
    zone(params)
    flt = analytics_filter(params)
    answer = await list_persons(event_sql(request), runtime(request).storage, flt, query)
    return Response(orjson.dumps(answer), media_type="application/json")


async def read_person(request: Request) -> Response:
    await require_aggregator(request)
    params = request.query_params
    zone(params)
    person = request.path_params["person"]
    flt = analytics_filter(params)
    answer = await get_person(event_sql(request), runtime(request).storage, flt, person)
    if answer is None:
        raise NotFound(f"No person {person!r} in this range (or on record).")
    return Response(orjson.dumps(answer), media_type="application/json")
