"""Owner-only files: the data dir is made 0700 and the files holding events or secrets 0600.

Events are personal data and other local users have no business reading them, whatever the
umask says. What already exists is left as the operator made it (they may share it on
purpose, with a group), but a start says so in a warning when others could read it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("tidings")

DIR_MODE = 0o700
FILE_MODE = 0o600
#: Permission bits for anyone but the owner.
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def exposed(path: Path) -> bool:
    """Whether group or others hold any permission on ``path`` (False when it is absent)."""
    try:
        return bool(path.stat().st_mode & _OTHERS)
    except FileNotFoundError:
        return False


def _warn(path: Path, what: str) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    log.warning(
        "%s %s is readable by other local users (mode %o); make it owner-only: chmod %o %s",
        what,
        path,
        mode,
        DIR_MODE if path.is_dir() else FILE_MODE,
        path,
    )


def private_dir(path: Path | str, *, warn: bool = True) -> Path:
    """Create ``path`` (and missing parents) owner-only; if it existed open to others, warn
    (unless ``warn`` is off: a database's own directory may be a shared one like /tmp)."""
    path = Path(path)
    if path.is_dir():
        if warn and exposed(path):
            _warn(path, "data directory")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:  # made meanwhile by another process starting alongside
        return path
    # mkdir's mode is masked by the umask; that only ever removes bits, so this is exact.
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty and owner-only unless it exists (then warn if open to others),
    so the program that fills it next (SQLite) inherits the mode instead of the umask's."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        if exposed(path):
            _warn(path, "database file")
        return path
    os.close(fd)
    return path


def warn_if_exposed(*paths: Path, what: str = "database file") -> None:
    """Warn for each existing path in ``paths`` that others may read."""
    for path in paths:
        if exposed(path):
            _warn(path, what)
