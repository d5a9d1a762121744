"""An existing (empty) installation for command tests: commands other than ``serve`` and
``init`` refuse to create one."""

from __future__ import annotations

from pathlib import Path

from tidings.storage.sqlite import SQLiteStorage


def create_installation(data_dir: Path) -> None:
    """An empty, migrated SQLite database in ``data_dir``."""
    storage = SQLiteStorage(f"sqlite:///{data_dir / 'tidings.db'}")
    storage.startup()
    storage.shutdown()
