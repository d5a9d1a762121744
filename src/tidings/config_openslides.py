"""The original OpenSlides 3 autoupdate service's environment variables, read as aliases of
Tidings settings (spec openslides3.md sections 5 and 6).

They count only in the OpenSlides mode: when ``TIDINGS_OPENSLIDES_REDIS_URL`` is set (in the
environment or the file), or the original's ``MESSAGE_BUS_HOST``/``MESSAGE_BUS_PORT``.
A ``TIDINGS_*`` variable or a flag for the same setting wins over its alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Original name -> Tidings setting.
ALIASES = {
    "COOKIE_NAME": "openslides_cookie_name",
    "SESSION_PREFIX": "openslides_session_prefix",
    "FAKE_AUTH": "openslides_fake_auth",
    "APPLAUSE_INTERVAL_MS": "applause_interval_ms",
    "AUTOUPDATE_PORT": "port",
    "AUTOUPDATE_HOST": "host",
}
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the original listens on every interface by default


def _redis_url(host: str | None, port: str | None) -> str:
    return f"redis://{host or 'localhost'}:{port or '6379'}/0"


def original_names(env: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Settings taken from the original's variables: name -> (raw value, variable)."""
    found: dict[str, tuple[Any, str]] = {}
    host, port = env.get("MESSAGE_BUS_HOST"), env.get("MESSAGE_BUS_PORT")
    on = bool(env.get("TIDINGS_OPENSLIDES_REDIS_URL") or values.get("openslides_redis_url"))
    if host is not None or port is not None:
        on = True
        found["openslides_redis_url"] = (_redis_url(host, port), "MESSAGE_BUS_HOST/PORT")
    if not on:
        return {}
    write_host, write_port = env.get("REDIS_WRITE_HOST"), env.get("REDIS_WRITE_PORT")
    if write_host is not None or write_port is not None:
        found["openslides_redis_write_url"] = (
            _redis_url(write_host or host, write_port or port),
            "REDIS_WRITE_HOST/PORT",
        )
    for original, name in ALIASES.items():
        if original in env:
            value = env[original]
            if name == "host" and not value:
                value = ALL_INTERFACES
            found[name] = (value, original)
    return found
