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
    Setting(
        "analytics",
        "auto",
        "The columnar analytics tier (DuckDB): on, off, or auto (on with SQLite, off with "
        "PostgreSQL, whose Parquet tier is not built yet).",
    ),
    Setting("analytics_dir", "", "Directory of the analytics tier's files; default the data dir."),
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
            return self.resolved_database_url.startswith("sqlite")
        return self.analytics == "on"

    @property
    def resolved_analytics_dir(self) -> str:
        return self.analytics_dir or self.data_dir

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
    if settings.analytics == "on" and not url.startswith("sqlite"):
        raise ConfigError(
            "analytics: the tier runs on SQLite only for now; with PostgreSQL use off or auto"
        )
    for name in (
        "analytics_threads",
        "max_body_bytes",
        "max_event_bytes",
        "max_batch_events",
        "queue_max_events",
        "batch_max_events",
        "live_buffer_events",
        "live_keepalive_s",
        "applause_interval_ms",
        "applause_window_s",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name}: must be at least 1")
