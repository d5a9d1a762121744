"""``tidings serve`` and ``tidings init``."""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

import click

from tidings.cli.common import fail, opened_storage, settings_from
from tidings.config import Settings, redact_url
from tidings.core.bootstrap import ensure_admin, secret_key
from tidings.private_files import private_dir


def _prepare(settings: Settings) -> Settings:
    """Migrate, create the admin on first start and fix the secret key, once, before any
    worker starts: so N workers do not race to migrate or to print N passwords."""
    private_dir(settings.data_dir)
    with opened_storage(settings) as storage:
        generated = ensure_admin(storage, settings.admin_password)
    if generated:
        click.echo(
            f"Created user 'admin' with password: {generated}\n"
            "It is shown only this once; change it with `tidings user set-password admin`.",
            err=True,
        )
    return settings.replace(secret_key=secret_key(settings.data_dir, settings.secret_key))


def _raise_open_files(connections: int) -> None:
    """Let the process hold ``connections`` sockets plus its own files: raise the soft limit
    on open files towards the hard one. Past the limit, accept() fails and nothing answers."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < wanted:
            click.echo(
                f"warning: open files are limited to {target}; max_connections "
                f"{connections} may not all be accepted (raise `ulimit -n`)",
                err=True,
            )


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the data directory and database, and the admin user."""
    settings = _prepare(settings_from(ctx))
    click.echo(f"database ready at {redact_url(settings.resolved_database_url)}")


@click.command()
@click.option("--host", help="Interface to listen on [127.0.0.1].")
@click.option("--port", type=int, help="TCP port [8000].")
@click.option("--workers", type=int, help="Server processes [1].")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]))
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str | None,
) -> None:
    """Run the HTTP server (migrating the database first)."""
    import uvicorn

    from tidings.app import create_app
    from tidings.gc_tuning import tune_for_server
    from tidings.http.connections import LimitedHttpToolsProtocol

    settings = settings_from(ctx, host=host, port=port, workers=workers, log_level=log_level)
    settings = _prepare(settings)
    if settings.workers > 1 and settings.bus_url.startswith("memory://"):
        # Each worker has its own in-process bus: a live stream would miss other workers' events.
        click.echo(
            "warning: several workers with bus_url memory:// - live streams only see their own "
            "worker's events; set TIDINGS_BUS_URL=redis://...",
            err=True,
        )
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "loop": "uvloop",
        # Header deadline and size, slow-body timeout, connection cap (http/connections.py).
        "http": LimitedHttpToolsProtocol,
        "timeout_keep_alive": settings.keepalive_timeout_s,
        "timeout_graceful_shutdown": 30,
        "server_header": False,
    }
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal under the
    # handler that was installed before it: make that one a clean exit (status 0).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    tune_for_server()
    _raise_open_files(settings.max_connections)
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Worker processes import ``tidings.asgi:app``, which reads settings from the
    # environment: hand every resolved setting over that way.
    for name, value in vars(settings).items():
        os.environ[f"TIDINGS_{name.upper()}"] = str(value)
    try:
        uvicorn.run("tidings.asgi:app", workers=settings.workers, **options)  # type: ignore[arg-type]
    except SystemExit as exc:
        if exc.code not in (0, None):
            fail("a worker process failed to start")
        raise
