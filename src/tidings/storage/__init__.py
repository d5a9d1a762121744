"""Storage engines behind one interface; :func:`open_storage` picks one by URL scheme."""

from __future__ import annotations

import importlib

from tidings.errors import ConfigError
from tidings.storage.base import Storage

ENGINES = {
    "sqlite": "tidings.storage.sqlite:SQLiteStorage",
    "postgresql": "tidings.storage.postgres:PostgresStorage",
}


def open_storage(url: str) -> Storage:
    """Create (not start) the engine for ``url``; imports only the engine asked for."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    target = ENGINES.get(scheme)
    if target is None:
        raise ConfigError(f"database_url: no storage engine for scheme {scheme!r}")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"database_url: the {scheme} engine is not available ({exc.name} missing; "
            f"pip install 'tidings[postgres]')"
        ) from None
    engine: Storage = getattr(module, class_name)(url)
    return engine
