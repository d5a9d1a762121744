"""Operational routes: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tidings.http.deps import require_reader, runtime
from tidings.http.metrics import CONTENT_TYPE

log = logging.getLogger("tidings.http")


async def healthz(request: Request) -> Response:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Storage answers and the writer is running; 503 otherwise."""
    rt = runtime(request)
    try:
        await run_in_threadpool(rt.storage.ping)
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises means "not ready"
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "storage": str(type(exc).__name__)}, 503)
    try:
        await request.app.state.live.bus.ping()
    except Exception as exc:  # noqa: BLE001 - whatever the bus client raises means "not ready"
        log.warning("readiness check failed: bus: %s", exc)
        return JSONResponse({"status": "unavailable", "bus": str(type(exc).__name__)}, 503)
    return JSONResponse({"status": "ok", "storage": "ok", "queue_depth": rt.writer.depth})


async def metrics(request: Request) -> Response:
    """Prometheus text; scraping needs a viewer (HTTP Basic), like every read."""
    await require_reader(request)
    return Response(runtime(request).metrics.render(), media_type=CONTENT_TYPE)
