"""Settings: one frozen object built from CLI flags > ``TIDINGS_*`` env > TOML file > defaults.

Nothing reads ``os.environ`` after :func:`load`; the app receives a :class:`Settings`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidings.config_openslides import original_names
from tidings.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Interface to listen on."),
    Setting("port", 8000, "TCP port to listen on."),
    Setting("workers", 1, "Number of server processes."),
    Setting("data_dir", "./tidings-data", "Directory for the SQLite database and the secret key."),
    Setting("database_url", "", "Database URL; default sqlite:///<data_dir>/tidings.db."),
    Setting("bus_url", "memory://", "Live event bus: memory:// or redis://..."),
    Setting("admin_password", "", "Password for the admin user created on first start."),
    Setting("secret_key", "", "Key for signing sessions; generated into the data dir if unset."),
    Setting("max_body_bytes", 1024 * 1024, "Largest accepted request body (after gzip)."),
    Setting("max_event_bytes", 32 * 1024, "Largest accepted single event (JSON bytes)."),
    Setting("max_batch_events", 10_000, "Most events in one ingest request."),
    Setting("queue_max_events", 200_000, "Events waiting for commit before ingest answers 503."),
    Setting("batch_max_events", 20_000, "Most events committed in one transaction."),
    Setting("retention_days", 0, "Delete events older than this many days (0 keeps all)."),
    Setting(
        "dedup_window_days",
        7,
        "Whole days before an event's day whose message ids it is de-duplicated against; "
        "older ids are forgotten (at least 1).",
    ),
    Setting("log_level", "info", "Log level: debug, info, warning, error."),
    Setting(
        "opencast_rate_per_minute",
        120,
        "Requests per minute per client address on the open Opencast routes (0: unlimited).",
    ),
    Setting("rate_limit", 1_800_000, "Requests per minute per credential (0: no limit)."),
    Setting("rate_limit_burst", 10000, "Requests a credential may send at once."),
    Setting(
        "anonymous_rate_limit", 1200, "Requests per minute per IP without credentials (0: off)."
    ),
    Setting(
        "anonymous_rate_limit_burst", 100, "Requests one IP may send at once without credentials."
    ),
    Setting(
        "login_failures_per_minute",
        6,
        "Failed logins per minute one address may make for one username (dashboard and HTTP "
        "Basic); ten times as many per username from all addresses (0: no limit).",
    ),
    Setting("login_failures_burst", 5, "Failed logins in a row before the limit applies."),
    Setting(
        "rate_limit_url",
        "",
        "Where rate-limit buckets live: memory://, or redis://... to share them between "
        "processes; empty means bus_url when that is redis://, else memory://.",
    ),
    Setting("segmentio_webhook_secret", "", "Secret for POST /segmentio/event?key= (unset: 401)."),
    Setting("segmentio_allowed_channels", "", "Comma list of channels the edX webhook keeps."),
    Setting("segmentio_allowed_actions", "", "Comma list of actions the edX webhook keeps."),
    Setting(
        "segmentio_require_known_users",
        False,
        "edX webhook: refuse user ids Tidings has not seen through identify (400).",
    ),
    Setting("anonymous_read", False, "Let callers without credentials open live streams."),
    Setting(
        "live_buffer_events", 1000, "Items buffered per live stream; a slower reader is dropped."
    ),
    Setting("live_keepalive_s", 15, "Seconds between keepalive lines on idle live streams."),
    Setting("applause_interval_ms", 1000, "Milliseconds between applause broadcasts."),
    Setting("applause_window_s", 5, "Seconds an applause counts towards the level."),
    Setting("microticks_key", "", "Key for Microticks GET /events and /sessions (?key=)."),
    # OpenSlides 3 mode (docs/openslides.md); the original's variables are aliases.
    Setting(
        "openslides_redis_url", "", "OpenSlides 3 mode: the Redis OpenSlides writes (on when set)."
    ),
    Setting(
        "openslides_redis_write_url", "", "Where notify and applause write; default the read URL."
    ),
    Setting("openslides_redis_key_prefix", "", "Prefix of every OpenSlides key (shared Redis)."),
    Setting("openslides_cookie_name", "OpenSlidesSessionID", "OpenSlides session cookie name."),
    Setting("openslides_session_prefix", "session:", "Redis key prefix of OpenSlides sessions."),
    Setting("openslides_fake_auth", "-1", "Every request is this OpenSlides user (-1: off)."),
    Setting(
        "openslides_secret_file", "", "File with DJANGO_SECRET_KEY; default /run/secrets/django."
    ),
    Setting("ssl_certfile", "", "TLS certificate (PEM); with ssl_keyfile serves HTTPS and HTTP/2."),
    Setting("ssl_keyfile", "", "TLS private key (PEM) for ssl_certfile."),
    # Connection and request limits (issue 20): what one client, or many idle ones, may hold.
    Setting(
        "max_connections",
        4096,
        "Open connections per process; beyond it the longest-idle connection is closed to "
        "make room (a new one is refused when none is idle).",
    ),
    Setting(
        "max_concurrent_requests",
        1024,
        "Requests (live streams included) served at once per process; beyond it 503 with "
        "Retry-After. /healthz and /readyz have a reserve of their own.",
    ),
    Setting("header_timeout_s", 10, "Seconds a client has to send a request's headers."),
    Setting("keepalive_timeout_s", 5, "Seconds an idle keep-alive connection stays open."),
    Setting("max_header_bytes", 32 * 1024, "Largest request line plus headers; beyond it 431."),
    Setting("body_timeout_s", 30, "Seconds a request body may pause between bytes; beyond 408."),
    Setting(
        "max_inflight_bytes",
        16 * 1024 * 1024,
        "Request body bytes being received or parsed at once per process; beyond it ingest "
        "answers 503 with Retry-After before reading the body.",
    ),
    Setting(
        "analytics",
        "auto",
        "The columnar analytics tier (DuckDB): on, off, or auto (on with SQLite; with "
        "PostgreSQL on when analytics_dir is set: Parquet files there, docs/analytics.md).",
    ),
    Setting(
        "analytics_dir",
        "",
        "Directory of the analytics tier's files; default the data dir with SQLite, required "
        "with PostgreSQL (a volume every process shares).",
    ),
    Setting("analytics_memory", "256MB", "DuckDB memory limit of the analytics tier."),
    Setting("analytics_threads", 2, "DuckDB threads of the analytics tier."),
)
_BY_NAME = {s.name: s for s in SETTINGS}
#: A DuckDB memory size.
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: str = "./tidings-data"
    database_url: str = ""
    bus_url: str = "memory://"
    admin_password: str = ""
    secret_key: str = ""
    max_body_bytes: int = 1024 * 1024
    max_event_bytes: int = 32 * 1024
    max_batch_events: int = 10_000
    queue_max_events: int = 200_000
    batch_max_events: int = 20_000
    retention_days: int = 0
    dedup_window_days: int = 7
    log_level: str = "info"
    opencast_rate_per_minute: int = 120
    rate_limit: int = 1_800_000
    rate_limit_burst: int = 10000
    anonymous_rate_limit: int = 1200
    anonymous_rate_limit_burst: int = 100
    login_failures_per_minute: int = 6
    login_failures_burst: int = 5
    rate_limit_url: str = ""

    @property
    def resolved_rate_limit_url(self) -> str:
        if self.rate_limit_url:
            return self.rate_limit_url
        return self.bus_url if self.bus_url.startswith(("redis://", "rediss://")) else "memory://"

    anonymous_read: bool = False
    live_buffer_events: int = 1000
    live_keepalive_s: int = 15
    applause_interval_ms: int = 1000
    applause_window_s: int = 5

    segmentio_webhook_secret: str = ""
    segmentio_allowed_channels: str = ""
    segmentio_allowed_actions: str = ""
    segmentio_require_known_users: bool = False
    microticks_key: str = ""
    analytics: str = "auto"
    analytics_dir: str = ""
    analytics_memory: str = "256MB"
    analytics_threads: int = 2

    @property
    def analytics_on(self) -> bool:
        if self.analytics == "auto":
            return self.resolved_database_url.startswith("sqlite") or bool(self.analytics_dir)
        return self.analytics == "on"

    @property
    def resolved_analytics_dir(self) -> str:
        return self.analytics_dir or self.data_dir

    # OpenSlides 3 mode (docs/openslides.md); on when openslides_redis_url is set.
    openslides_redis_url: str = ""
    openslides_redis_write_url: str = ""
    openslides_redis_key_prefix: str = ""
    openslides_cookie_name: str = "OpenSlidesSessionID"
    openslides_session_prefix: str = "session:"
    openslides_fake_auth: str = "-1"
    openslides_secret_file: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    max_connections: int = 4096
    max_concurrent_requests: int = 1024
    header_timeout_s: int = 10
    keepalive_timeout_s: int = 5
    max_header_bytes: int = 32 * 1024
    body_timeout_s: int = 30
    max_inflight_bytes: int = 16 * 1024 * 1024

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'tidings.db'}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _cast(name: str, value: Any, origin: str) -> Any:
    default = _BY_NAME[name].default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{origin}: expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ConfigError(f"{origin}: expected an integer, got {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: expected an integer, got {value!r}") from None
        if number < 0:
            raise ConfigError(f"{origin}: must not be negative, got {number}")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{origin}: expected a string, got {value!r}")
    return value


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    # Accept both a flat file and one with a [tidings] table.
    table = data.get("tidings", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [tidings] must be a table")
    return table


def load(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | None = None,
) -> Settings:
    """Build settings with precedence CLI > environment > TOML file > defaults.

    Raises:
        ConfigError: a value has the wrong type or an unknown key is set; the message is one line.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config_file = config_file or env.get("TIDINGS_CONFIG") or None
    if config_file:
        for key, value in _read_file(config_file).items():
            name = key.replace("-", "_")
            if name not in _BY_NAME:
                raise ConfigError(f"config file {config_file}: unknown setting {key!r}")
            values[name] = _cast(name, value, f"config file {config_file}: {key}")
    # The original OpenSlides service's variables: above the file, below TIDINGS_* and flags.
    values.update(
        (k, _cast(k, v, origin)) for k, (v, origin) in original_names(env, values).items()
    )
    for name in _BY_NAME:
        var = f"TIDINGS_{name.upper()}"
        if var in env:
            values[name] = _cast(name, env[var], var)
    for name, value in (cli or {}).items():
        if value is None:
            continue
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _cast(name, value, f"--{name.replace('_', '-')}")
    settings = Settings(**values)
    _check(settings)
    return settings


def redact_url(url: str) -> str:
    """``url`` with its password (``scheme://user:PASSWORD@host``) replaced by ``***``: URLs
    are shown in messages and errors, their passwords never."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def _check(settings: Settings) -> None:
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port: must be between 1 and 65535, got {settings.port}")
    if settings.workers < 1:
        raise ConfigError("workers: must be at least 1")
    url = settings.resolved_database_url
    if not url.startswith(("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ConfigError(
            f"database_url: unsupported scheme in {redact_url(url)!r} "
            "(use sqlite:// or postgresql://)"
        )
    if not settings.bus_url.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError(
            f"bus_url: unsupported scheme in {redact_url(settings.bus_url)!r} "
            "(use memory:// or redis://)"
        )
    if not settings.resolved_rate_limit_url.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError(
            f"rate_limit_url: unsupported scheme in {redact_url(settings.rate_limit_url)!r}"
            " (use memory:// or redis://)"
        )
    _check_modes(settings)


def _check_modes(settings: Settings) -> None:
    """The optional modes' settings: OpenSlides, TLS, the analytics tier, logging."""
    fake_auth = settings.openslides_fake_auth.strip()
    if not fake_auth.removeprefix("-").isdigit() or not fake_auth.isascii():
        raise ConfigError(
            f"openslides_fake_auth: expected a user id or -1, got {settings.openslides_fake_auth!r}"
        )
    if bool(settings.ssl_certfile) != bool(settings.ssl_keyfile):
        raise ConfigError("ssl_certfile and ssl_keyfile: set both or neither")
    if settings.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError(
            f"log_level: expected debug, info, warning or error, got {settings.log_level!r}"
        )
    if settings.analytics not in ("on", "off", "auto"):
        raise ConfigError(f"analytics: expected on, off or auto, got {settings.analytics!r}")
    if not _MEMORY.fullmatch(settings.analytics_memory.strip()):
        raise ConfigError(
            f"analytics_memory: expected a size such as 256MB or 1GB, "
            f"got {settings.analytics_memory!r}"
        )
    if (
        settings.analytics == "on"
        and not settings.resolved_database_url.startswith("sqlite")
        and not settings.analytics_dir
    ):
        raise ConfigError(
            "analytics_dir: the analytics tier with PostgreSQL keeps Parquet files in a "
            "directory every process shares; set TIDINGS_ANALYTICS_DIR (or analytics off)"
        )
    for name in (
        "analytics_threads",
        "max_body_bytes",
        "max_event_bytes",
        "max_batch_events",
        "queue_max_events",
        "batch_max_events",
        "dedup_window_days",
        "live_buffer_events",
        "live_keepalive_s",
        "applause_interval_ms",
        "applause_window_s",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name}: must be at least 1")
