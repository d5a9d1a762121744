"""First-start chores: the admin user (no default password) and the secret key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tidings.core.auth import hash_password
from tidings.errors import Conflict
from tidings.private_files import private_dir, warn_if_exposed
from tidings.storage.base import Storage


def ensure_admin(storage: Storage, password: str) -> str | None:
    """Create user ``admin`` when there are no users yet.

    Uses ``password`` when given, else a random one. Returns the random password (to show
    once), or None when nothing was generated.
    """
    if storage.count_users() > 0:
        return None
    generated = None if password else secrets.token_urlsafe(18)
    try:
        storage.create_user("admin", hash_password(password or generated or ""), "admin")
    except Conflict:  # another process won the race
        return None
    return generated


def secret_key(data_dir: str, configured: str) -> str:
    """The configured key, else one generated once and kept in ``<data_dir>/secret_key``."""
    if configured:
        return configured
    path = Path(data_dir) / "secret_key"
    if path.exists():
        warn_if_exposed(path, what="secret key file")
        return path.read_text().strip()
    private_dir(path.parent)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
