"""The application factory: ``create_app(settings)`` wires storage, writer and routes."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from tidings.bus import open_bus
from tidings.compat.openslides.live import SystemLive
from tidings.compat.openslides.os3.mode import Mode
from tidings.config import Settings
from tidings.core.analytics.parquet_tier import ParquetTier, open_parquet_tier
from tidings.core.analytics.tier import Tier, open_tier
from tidings.core.auth import Authenticator
from tidings.core.bootstrap import ensure_admin
from tidings.core.dedup_window import IdExpirer
from tidings.core.event_sql import LoadedEvents
from tidings.core.ingest import AfterCommit
from tidings.core.live import Hub
from tidings.core.ratelimit import Buckets, MemoryBuckets, RateLimiter
from tidings.core.retention import Pruner
from tidings.core.sealing import Sealer
from tidings.core.visitors import VisitorHasher
from tidings.core.writer import Writer
from tidings.http.admission import Admission
from tidings.http.connections import ConnectionLimits, LimitedHttpToolsProtocol
from tidings.http.deps import Runtime
from tidings.http.edge import Edge
from tidings.http.hotpath import HotPath
from tidings.http.metrics import Metrics
from tidings.http.problems import HANDLERS
from tidings.http.shutdown import chain_stop_signals
from tidings.model.events import EventDraft
from tidings.model.records import InsertResult
from tidings.routes import HOT_ROUTES, ROUTES
from tidings.storage import open_storage
from tidings.storage.installation import installation_id

log = logging.getLogger("tidings")


def _after_commit(
    metrics: Metrics, hub: Hub, tier: Tier | ParquetTier | None = None
) -> AfterCommit:
    """Every effect of a commit, whichever way its events came in (the one place to add the
    next one): commit timing, the stored and repeated counters, the live fan-out."""

    def count(drafts: Sequence[EventDraft], results: Sequence[InsertResult]) -> None:
        repeats = sum(1 for r in results if r.duplicate)
        if len(results) > repeats:
            metrics.events_accepted.inc(len(results) - repeats)
        if repeats:
            metrics.events_duplicate.inc(repeats)

    effects = AfterCommit()
    effects.time(metrics.observe_commit)
    effects.add(count)
    effects.add(hub.committed)
    if tier is not None:
        effects.add(tier.nudge)
    return effects


def create_app(settings: Settings) -> HotPath:
    """Build the ASGI app. Resources open in the lifespan (storage, then writer) and close
    in reverse, after the writer has committed everything queued."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage = open_storage(settings.resolved_database_url)
        storage.dedup_window_days = settings.dedup_window_days
        await run_in_threadpool(storage.startup)
        generated = await run_in_threadpool(ensure_admin, storage, settings.admin_password)
        if generated:
            # Shown once on the terminal, not logged: log handlers ship records to files and
            # services that keep them, and secrets never go there.
            sys.stderr.write(
                f"Created user 'admin' with password: {generated}\n"
                "It is shown only this once; change it with `tidings user set-password admin`.\n"
            )
            sys.stderr.flush()
            log.warning("created user 'admin' with a random password, shown once on stderr")
        metrics = Metrics()
        scope = await run_in_threadpool(installation_id, storage.engine)
        hub = Hub(
            open_bus(settings.bus_url, scope),
            storage,
            buffer=settings.live_buffer_events,
            keepalive=float(settings.live_keepalive_s),
        )
        app.state.system_live = SystemLive(
            hub,
            applause_interval=settings.applause_interval_ms / 1000,
            applause_window=float(settings.applause_window_s),
        )
        # The OpenSlides 3 mode (docs/openslides.md): its routes serve OpenSlides' data.
        openslides = (
            Mode(settings, hub, app.state.system_live) if settings.openslides_redis_url else None
        )
        app.state.openslides = openslides
        app.state.ready_checks = [openslides.unready] if openslides else []
        await hub.start()
        if openslides is not None:
            openslides.start()
        app.state.live = hub
        tier: Tier | ParquetTier | None = None
        if settings.analytics_on and not settings.resolved_database_url.startswith("sqlite"):
            tier = await run_in_threadpool(
                open_parquet_tier,
                storage,
                settings.resolved_analytics_dir,
                settings.analytics_memory,
                settings.analytics_threads,
            )
        elif settings.analytics_on:
            tier = await run_in_threadpool(
                open_tier,
                storage,
                settings.resolved_analytics_dir,
                settings.analytics_memory,
                settings.analytics_threads,
            )
        restore_signals = chain_stop_signals(hub.end_streams_threadsafe)
        writer = Writer(
            storage,
            max_queue_events=settings.queue_max_events,
            batch_max_events=settings.batch_max_events,
            after_commit=_after_commit(metrics, hub, tier),
            refuse=hub.outage,
        )
        metrics.track_queue(lambda: writer.depth)
        writer.start()
        limiter = RateLimiter(
            open_buckets(settings.resolved_rate_limit_url, scope),
            rate=settings.rate_limit / 60,
            burst=settings.rate_limit_burst,
            anon_rate=settings.anonymous_rate_limit / 60,
            anon_burst=settings.anonymous_rate_limit_burst,
            login_rate=settings.login_failures_per_minute / 60,
            login_burst=settings.login_failures_burst,
        )
        pruner = Pruner(storage, settings.retention_days)
        pruner.start()
        sealer = Sealer(storage)
        sealer.start()
        expirer = IdExpirer(storage)
        expirer.start()
        app.state.runtime = Runtime(
            settings=settings,
            storage=storage,
            writer=writer,
            auth=Authenticator(storage),
            visitors=VisitorHasher(storage),
            metrics=metrics,
            limiter=limiter,
            event_sql=tier or LoadedEvents(storage),
        )
        try:
            yield
        finally:
            restore_signals()
            await expirer.stop()
            await sealer.stop()
            await pruner.stop()
            await writer.stop()
            if tier is not None:
                await run_in_threadpool(tier.stop)
            await limiter.close()
            await hub.close()
            if openslides is not None:
                await openslides.close()
            await run_in_threadpool(storage.shutdown)

    app = Starlette(
        routes=ROUTES,
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    LimitedHttpToolsProtocol.limits = ConnectionLimits.of(settings)
    admission = Admission(
        settings.max_inflight_bytes, settings.max_concurrent_requests, settings.max_body_bytes
    )
    return Edge(app, HOT_ROUTES, admission)


def open_buckets(url: str, scope: str = "") -> Buckets:
    """Rate-limit buckets: ``redis://``/``rediss://`` share them through Redis; anything else
    keeps them in this process. ``scope`` (the installation id) keeps installations sharing
    one Redis apart."""
    if url.startswith(("redis://", "rediss://")):
        try:
            from tidings.bus.redis.buckets import scoped_buckets
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise RuntimeError(
                "a redis:// rate-limit URL needs redis-py: pip install 'tidings[redis]'"
            ) from None
        return scoped_buckets(url, scope)
    return MemoryBuckets()
