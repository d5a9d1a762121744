"""Opencast adopter registration, generations B and C (seed-systems.md 1.2, 1.3; api.md 3.3).

What real Opencast instances speak: upserts by key on ``POST /api/1.0/adopter`` and
``/api/1.0/statistic`` (plus Tobira's ``/api/1.0/tobira``), deregistration by ``DELETE`` with
a JSON body, and collection ``GET``s. Upserts and deletes name one record by its random key
and stay open, since Opencast sends no credentials; collection reads need a viewer.
Statistics and Tobira statistics are also stored as core events (records.py), in the same
transaction as their rows: the row is the batch's side write.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.opencast import payloads as opencast
from tidings.compat.opencast import records as opencast_records
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.common import (
    adopter_current,
    answer,
    json_body,
    limit_open_route,
    not_found,
    opencast_route,
    page_params,
    require_viewer,
    statistic_out,
    tobira_out,
)
from tidings.compat.opencast.upserts import RowUpsert
from tidings.core.ingest import Batch, ingest
from tidings.http.deps import runtime


# -- adopters --------------------------------------------------------------------------------
@opencast_route
async def upsert_adopter(request: Request) -> Response:
    limit_open_route(request)
    data = await json_body(request)
    key = opencast.key(data, "adopter_key")
    values = opencast.adopter_values(data)
    engine = runtime(request).storage.engine
    row = await run_in_threadpool(tables.upsert_adopter, engine, key, values)
    return answer({"adopter": adopter_current(row)})


@opencast_route
async def delete_adopter(request: Request) -> Response:
    limit_open_route(request)
    key = opencast.key(await json_body(request), "adopter_key")
    engine = runtime(request).storage.engine
    if not await run_in_threadpool(tables.delete_adopter, engine, key):
        raise not_found("Adopter", key)
    return answer({"deleted": key})


@opencast_route
async def list_adopters(request: Request) -> Response:
    who = await require_viewer(request)
    limit, offset = page_params(request)
    rows = await run_in_threadpool(
        tables.list_adopters, runtime(request).storage.engine, limit, offset
    )
    return answer({"adopters": [adopter_current(row, reveal=who.is_admin) for row in rows]})


# -- statistics ------------------------------------------------------------------------------
@opencast_route
async def upsert_statistic(request: Request) -> Response:
    """Store the statistic and its core events in one commit; answer after it."""
    limit_open_route(request)
    data = await json_body(request)
    key = opencast.key(data, "statistic_key")
    values, hosts = opencast.statistic_values(data)
    rt = runtime(request)
    # The events describe the row as this upsert will leave it: the stored one with the
    # posted fields over it (an upsert only touches the fields it names).
    stored = await run_in_threadpool(tables.get_statistic, rt.storage.engine, key)
    expected = {**(stored or {}), **values, "statistic_key": key}
    if hosts is not None:
        expected["hosts"] = hosts
    source = await run_in_threadpool(opencast_records.source_id, rt.storage)
    write = RowUpsert(tables.statistic_upsert(key, values, hosts))
    await ingest(rt.writer, Batch(opencast_records.statistic_drafts(source, expected), [write]))
    return answer({"statistic": statistic_out(write.row)})


@opencast_route
async def delete_statistic(request: Request) -> Response:
    limit_open_route(request)
    key = opencast.key(await json_body(request), "statistic_key")
    engine = runtime(request).storage.engine
    if not await run_in_threadpool(tables.delete_statistic, engine, key):
        raise not_found("Statistic", key)
    return answer({"deleted": key})


@opencast_route
async def list_statistics(request: Request) -> Response:
    who = await require_viewer(request)
    limit, offset = page_params(request)
    rows = await run_in_threadpool(
        tables.list_statistics, runtime(request).storage.engine, limit, offset
    )
    return answer({"statistics": [statistic_out(row, reveal=who.is_admin) for row in rows]})


@opencast_route
async def read_statistic(request: Request) -> Response:
    # The caller named the key, so the answer may show it (and the adopter's, as its POST did).
    await require_viewer(request)
    key = request.path_params["key"]
    row = await run_in_threadpool(tables.get_statistic, runtime(request).storage.engine, key)
    if row is None:
        raise not_found("Statistic", key)
    return answer({"statistic": statistic_out(row)})


# -- tobira ----------------------------------------------------------------------------------
@opencast_route
async def upsert_tobira(request: Request) -> Response:
    limit_open_route(request)
    data = await json_body(request)
    key = opencast.key(data, "statistic_key")
    stats = opencast.tobira_data(data)
    rt = runtime(request)
    source = await run_in_threadpool(opencast_records.source_id, rt.storage)
    write = RowUpsert(tables.tobira_upsert(key, stats))
    await ingest(rt.writer, Batch([opencast_records.tobira_draft(source, key, stats)], [write]))
    return answer({"tobira": tobira_out(write.row)})


@opencast_route
async def delete_tobira(request: Request) -> Response:
    limit_open_route(request)
    key = opencast.key(await json_body(request), "statistic_key")
    engine = runtime(request).storage.engine
    if not await run_in_threadpool(tables.delete_tobira, engine, key):
        raise not_found("Tobira statistic", key)
    return answer({"deleted": key})


@opencast_route
async def list_tobira(request: Request) -> Response:
    who = await require_viewer(request)
    limit, offset = page_params(request)
    rows = await run_in_threadpool(
        tables.list_tobira, runtime(request).storage.engine, limit, offset
    )
    return answer({"tobira": [tobira_out(row, reveal=who.is_admin) for row in rows]})


@opencast_route
async def read_tobira(request: Request) -> Response:
    await require_viewer(request)
    key = request.path_params["key"]
    row = await run_in_threadpool(tables.get_tobira, runtime(request).storage.engine, key)
    if row is None:
        raise not_found("Tobira statistic", key)
    return answer({"tobira": tobira_out(row)})
