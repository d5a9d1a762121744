"""``tidings serve`` with TLS: HTTPS offering HTTP/2 and HTTP/1.1 (ALPN ``h2``, ``http/1.1``).

uvicorn speaks no HTTP/2, so TLS runs on Hypercorn (pure Python, from the authors of the
h2 stack it uses). Plain HTTP stays on uvicorn with its tuned ingest path (BENCHMARKS.md).
Browsers need HTTP/2 for many long-lived streams on one host: over HTTP/1.1 they open at
most six connections per host.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from tidings.config import Settings

GRACEFUL_SECONDS = 30


def hypercorn_config(settings: Settings) -> Any:
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.certfile = settings.ssl_certfile
    config.keyfile = settings.ssl_keyfile
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = None
    config.errorlog = "-"
    config.loglevel = settings.log_level.upper()
    config.graceful_timeout = GRACEFUL_SECONDS
    config.include_server_header = False
    config.workers = settings.workers
    return config


def serve_tls(settings: Settings) -> None:
    """Serve the app over TLS until SIGTERM/SIGINT, then shut down gracefully (exit 0)."""
    config = hypercorn_config(settings)
    if settings.workers > 1:
        import os

        from hypercorn.run import run

        # Workers import ``tidings.asgi:app``, which reads settings from the environment.
        for name, value in vars(settings).items():
            os.environ[f"TIDINGS_{name.upper()}"] = str(value)
        config.application_path = "tidings.asgi:app"
        config.worker_class = "uvloop"
        sys.exit(run(config))
    import uvloop
    from hypercorn.asyncio import serve

    from tidings.app import create_app

    app = create_app(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def request_stop(signum: int, frame: object) -> None:
            loop.call_soon_threadsafe(stop.set)

        # Installed before the app's lifespan, which chains its stream ending in front.
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    uvloop.run(main())
