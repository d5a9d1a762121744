"""Operational routes: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tidings.http.deps import require_reader, runtime
from tidings.http.metrics import CONTENT_TYPE
from tidings.outages import describe

log = logging.getLogger("tidings.http")
#: Seconds a readiness check waits for one service before calling it unavailable.
READY_TIMEOUT = 3.0


async def healthz(request: Request) -> Response:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Storage and the bus answer and the writer is running; 503 otherwise, within
    READY_TIMEOUT even when a service hangs instead of refusing."""
    rt = runtime(request)
    try:
        await asyncio.wait_for(run_in_threadpool(rt.storage.ping), READY_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises means "not ready"
        log.warning("readiness check failed: storage: %s", describe(exc))
        return JSONResponse({"status": "unavailable", "storage": type(exc).__name__}, 503)
    bus = request.app.state.live.bus
    try:
        if not bus.connected:
            raise ConnectionError("bus connection lost")
        await asyncio.wait_for(bus.ping(), READY_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - whatever the bus client raises means "not ready"
        log.warning("readiness check failed: bus: %s", describe(exc))
        return JSONResponse({"status": "unavailable", "bus": type(exc).__name__}, 503)
    # Services a compat mode depends on (the OpenSlides mode's Redis, say).
    for check in getattr(request.app.state, "ready_checks", ()):
        reason = check()
        if reason is not None:
            log.warning("readiness check failed: %s", reason)
            return JSONResponse({"status": "unavailable", "reason": reason}, 503)
    return JSONResponse({"status": "ok", "storage": "ok", "queue_depth": rt.writer.depth})


async def metrics(request: Request) -> Response:
    """Prometheus text; scraping needs a viewer (HTTP Basic), like every read."""
    await require_reader(request)
    return Response(runtime(request).metrics.render(), media_type=CONTENT_TYPE)
