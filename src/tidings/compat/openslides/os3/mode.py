"""The OpenSlides 3 mode of one process: its Redis connections, its copy of the data, who
calls, and the wake-up of open streams. The app opens one when ``openslides_redis_url`` is
set (:func:`open_mode`) and reaches it with :func:`mode`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from tidings.compat.openslides.common import RouteError
from tidings.compat.openslides.live import SystemLive
from tidings.compat.openslides.os3.auth import Auth
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.ingest import Ingest, Keys
from tidings.compat.openslides.os3.lines import Lines
from tidings.compat.openslides.os3.projector import Projectors
from tidings.compat.openslides.os3.realtime import RedisLevels, RedisNotify
from tidings.compat.openslides.os3.session import read_secret, secret_path
from tidings.config import Settings
from tidings.core.live import Hub

#: Hub topics of the mode's streams; each change offers them a token to wake them.
AUTOUPDATE = "openslides-autoupdate"
PROJECTOR = "openslides-projector"
UNAVAILABLE = "OpenSlides data is unavailable (its Redis is unreachable or not ready)."


def fake_auth(settings: Settings) -> int:
    return int(settings.openslides_fake_auth.strip())


def check(settings: Settings) -> None:
    """Fail before serving when the mode cannot authenticate (the secret file is missing).

    Raises:
        ConfigError: naming the file.
    """
    if settings.openslides_redis_url and fake_auth(settings) < 0:
        read_secret(secret_path(settings.openslides_secret_file))


def _redis(url: str) -> Any:
    try:
        import redis.asyncio
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "the OpenSlides mode needs redis-py: pip install 'tidings[redis]'"
        ) from None
    return redis.asyncio.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


class Mode:
    def __init__(self, settings: Settings, hub: Hub, system: SystemLive) -> None:
        fake = fake_auth(settings)
        secret = None if fake >= 0 else read_secret(secret_path(settings.openslides_secret_file))
        self.hub = hub
        self.keys = Keys(settings.openslides_redis_key_prefix)
        self.redis = _redis(settings.openslides_redis_url)
        write_url = settings.openslides_redis_write_url
        self.write_redis = _redis(write_url) if write_url else self.redis
        self.data = Data()
        self.ingest = Ingest(self.redis, self.keys, self.data)
        self.lines = Lines(self.data)
        self.projectors = Projectors(self.data)
        self.auth = Auth(
            self.redis,
            self.data,
            cookie_name=settings.openslides_cookie_name,
            session_prefix=settings.openslides_session_prefix,
            fake_auth=fake,
            secret=secret,
        )
        self.data.listeners.append(self._wake)
        # Notify and applause go through OpenSlides' Redis instead of Tidings' bus.
        self.notify = RedisNotify(self.redis, self.write_redis, self.keys, system.channels)
        system.applause.source = RedisLevels(self.write_redis, self.keys, self.data)

    def _wake(self) -> None:
        token = (b"",)
        for topic in (AUTOUPDATE, PROJECTOR):
            for sub in self.hub.listeners(topic):
                sub.offer(token)

    def start(self) -> None:
        self.ingest.start()
        self.notify.start()

    async def close(self) -> None:
        await self.notify.close()
        await self.ingest.close()
        await self.redis.aclose()
        if self.write_redis is not self.redis:
            await self.write_redis.aclose()

    def unready(self) -> str | None:
        """Why ``/readyz`` fails, or None."""
        return None if self.ingest.available else UNAVAILABLE

    def require_available(self) -> None:
        if not self.ingest.available:
            raise RouteError(503, "InternalError", UNAVAILABLE)

    async def uid(self, request: Request) -> int:
        """The caller, answering 503 while the data is unavailable."""
        self.require_available()
        try:
            return await self.auth.uid(request)
        except (OSError, ConnectionError) as exc:
            raise RouteError(503, "InternalError", UNAVAILABLE) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                raise RouteError(503, "InternalError", UNAVAILABLE) from exc
            raise


def mode(request: Request) -> Mode | None:
    found: Mode | None = getattr(request.app.state, "openslides", None)
    return found
