"""``tidings serve`` and ``tidings init``."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING

import click

from tidings.cli.common import fail, opened_storage, settings_from
from tidings.compat.openslides.os3.mode import check as check_openslides
from tidings.config import Settings, redact_url
from tidings.core.bootstrap import ensure_admin, secret_key
from tidings.errors import ConfigError
from tidings.private_files import private_dir

if TYPE_CHECKING:
    import uvicorn


def _prepare(settings: Settings) -> tuple[Settings, str | None]:
    """Migrate, create the admin on first start and fix the secret key, once, before any
    worker starts: so N workers do not race to migrate or to print N passwords. Returns the
    settings and the admin's generated password (None when no admin was created now)."""
    try:
        check_openslides(settings)  # the OpenSlides mode without its secret file: stop here
    except ConfigError as exc:
        fail(str(exc), 2)
    private_dir(settings.data_dir)
    with opened_storage(settings, create=True) as storage:
        generated = ensure_admin(storage, settings.admin_password)
    return settings.replace(
        secret_key=secret_key(settings.data_dir, settings.secret_key)
    ), generated


def _admin_lines(generated: str | None) -> list[str]:
    if not generated:
        return []
    return [
        f"Created user 'admin' with password: {generated}",
        "It is shown only this once; change it with `tidings user set-password admin`.",
    ]


def login_banner(settings: Settings, generated: str | None) -> str:
    """What a person starting the server needs to see: where to log in and, on the first
    start, the admin's password."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - read, not bound
        host = "127.0.0.1"  # a wildcard address is not something a browser can open
    if ":" in host:
        host = f"[{host}]"
    lines = [
        f"Tidings is running: log in at http://{host}:{settings.port}/login",
        *_admin_lines(generated),
    ]
    return "\n".join(lines)


def _run_announcing(config: uvicorn.Config, banner: str) -> bool:
    """Run one server process and print the login banner once its socket listens: the last
    lines of the start-up output, where they are seen, not lost among install messages.
    Returns whether the server started."""
    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                click.echo(banner, err=True)

    server = Announcing(config)
    server.run()
    return server.started


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
    settings, generated = _prepare(settings_from(ctx))
    for line in _admin_lines(generated):
        click.echo(line, err=True)
    click.echo(f"database ready at {redact_url(settings.resolved_database_url)}")


@click.command()
@click.option(
    "--host", help="Interface to listen on (0.0.0.0: all). [default: 127.0.0.1; env TIDINGS_HOST]"
)
@click.option("--port", type=int, help="TCP port. [default: 8000; env TIDINGS_PORT]")
@click.option(
    "--workers",
    type=int,
    help="Server processes; more than one wants TIDINGS_BUS_URL=redis://... for live "
    "streams. [default: 1; env TIDINGS_WORKERS]",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="[default: info; env TIDINGS_LOG_LEVEL]",
)
@click.option(
    "--ssl-certfile",
    help="TLS certificate (PEM): serve HTTPS, with HTTP/2, on Hypercorn. "
    "[default: none, plain HTTP; env TIDINGS_SSL_CERTFILE]",
)
@click.option(
    "--ssl-keyfile", help="TLS private key (PEM) of --ssl-certfile. [env TIDINGS_SSL_KEYFILE]"
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> None:
    """Run the HTTP server (migrating the database first; creating the data directory,
    database and admin user on the first start)."""
    import uvicorn

    from tidings.app import create_app
    from tidings.gc_tuning import tune_for_server
    from tidings.http.connections import LimitedHttpToolsProtocol

    settings = settings_from(
        ctx,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    settings, generated = _prepare(settings)
    banner = login_banner(settings, generated)
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
    if settings.ssl_certfile:
        from tidings.cli.tls import serve_tls

        click.echo(banner, err=True)
        serve_tls(settings)  # HTTPS with HTTP/2 (cli/tls.py)
        return
    if settings.workers == 1:
        config = uvicorn.Config(create_app(settings), **options)  # type: ignore[arg-type]
        if not _run_announcing(config, banner):
            sys.exit(3)  # as uvicorn.run: the server could not start (say, the port is taken)
        return
    # Several workers: the supervisor has no hook once they listen; say it before them.
    click.echo(banner, err=True)
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
