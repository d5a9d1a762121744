"""Opencast adopter registration, generations B and C (seed-systems.md 1.2, 1.3; api.md 3.3).

What real Opencast instances speak: upserts by key on ``POST /api/1.0/adopter`` and
``/api/1.0/statistic`` (plus Tobira's ``/api/1.0/tobira``), deregistration by ``DELETE`` with
a JSON body, and collection ``GET``s. Upserts and deletes name one record by its random key
and stay open, since Opencast sends no credentials; collection reads need a viewer.
Statistics and Tobira statistics are also stored as core events (records.py), in the same
transaction as their rows: the row is the batch's side write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.opencast import payloads as opencast
from tidings.compat.opencast import records as opencast_records
from tidings.compat.opencast import store as tables
from tidings.compat.opencast.common import (
    adopter_current,
    answer,
    not_found,
    open_body,
    opencast_route,
    page_params,
    require_viewer,
    statistic_out,
    tobira_out,
)
from tidings.compat.opencast.upserts import RowUpsert
from tidings.core.ingest import Batch, ingest
from tidings.http.deps import runtime
from tidings.http.hotpath import Handler

#: A record as the wire shows it; ``reveal`` says whether its keys are shown.
Shown = Callable[..., dict[str, Any]]


# -- what the three record kinds share --------------------------------------------------------
async def _keyed_body(request: Request, field: str) -> tuple[dict[str, Any], str]:
    """An open write's JSON body and the record key it names in ``field``."""
    data = await open_body(request)
    return data, opencast.key(data, field)


def _deleter(
    field: str, remove: Callable[[Engine, str], bool], label: str, *, unknown_ok: bool = False
) -> Handler:
    """``DELETE`` with the record's key in a JSON body; open, like the upsert.

    ``unknown_ok``: an unknown key still answers ``{"deleted": key}``, as the registration
    server did for statistics (Opencast deregisters an adopter that never sent any, and logs
    anything but a 2xx as a failure).
    """

    @opencast_route
    async def delete(request: Request) -> Response:
        _, key = await _keyed_body(request, field)
        removed = await run_in_threadpool(remove, runtime(request).storage.engine, key)
        if not removed and not unknown_ok:
            raise not_found(label, key)
        return answer({"deleted": key})

    return delete


def _lister(
    plural: str, rows_of: Callable[[Engine, int | None, int], list[dict[str, Any]]], shown: Shown
) -> Handler:
    """The collection ``GET``: a viewer sees pseudonyms, an admin the keys."""

    @opencast_route
    async def listing(request: Request) -> Response:
        who = await require_viewer(request)
        limit, offset = page_params(request)
        engine = runtime(request).storage.engine
        rows = await run_in_threadpool(rows_of, engine, limit, offset)
        return answer({plural: [shown(row, reveal=who.is_admin) for row in rows]})

    return listing


def _reader(
    singular: str, row_of: Callable[[Engine, str], dict[str, Any] | None], shown: Shown, label: str
) -> Handler:
    """``GET`` of one record: the caller named the key, so the answer may show it (and the
    adopter's, as its POST did)."""

    @opencast_route
    async def read(request: Request) -> Response:
        await require_viewer(request)
        key = request.path_params["key"]
        row = await run_in_threadpool(row_of, runtime(request).storage.engine, key)
        if row is None:
            raise not_found(label, key)
        return answer({singular: shown(row)})

    return read


# -- adopters --------------------------------------------------------------------------------
@opencast_route
async def upsert_adopter(request: Request) -> Response:
    data, key = await _keyed_body(request, "adopter_key")
    values = opencast.adopter_values(data)
    engine = runtime(request).storage.engine
    row = await run_in_threadpool(tables.upsert_adopter, engine, key, values)
    return answer({"adopter": adopter_current(row)})


delete_adopter = _deleter("adopter_key", tables.delete_adopter, "Adopter")
list_adopters = _lister("adopters", tables.list_adopters, adopter_current)


# -- statistics ------------------------------------------------------------------------------
@opencast_route
async def upsert_statistic(request: Request) -> Response:
    """Store the statistic and its core events in one commit; answer after it."""
    data, key = await _keyed_body(request, "statistic_key")
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


delete_statistic = _deleter("statistic_key", tables.delete_statistic, "Statistic", unknown_ok=True)
list_statistics = _lister("statistics", tables.list_statistics, statistic_out)
read_statistic = _reader("statistic", tables.get_statistic, statistic_out, "Statistic")


# -- tobira ----------------------------------------------------------------------------------
@opencast_route
async def upsert_tobira(request: Request) -> Response:
    data, key = await _keyed_body(request, "statistic_key")
    stats = opencast.tobira_data(data)
    rt = runtime(request)
    source = await run_in_threadpool(opencast_records.source_id, rt.storage)
    write = RowUpsert(tables.tobira_upsert(key, stats))
    await ingest(rt.writer, Batch([opencast_records.tobira_draft(source, key, stats)], [write]))
    return answer({"tobira": tobira_out(write.row)})


delete_tobira = _deleter("statistic_key", tables.delete_tobira, "Tobira statistic")
list_tobira = _lister("tobira", tables.list_tobira, tobira_out)
read_tobira = _reader("tobira", tables.get_tobira, tobira_out, "Tobira statistic")
