"""Whose turn it is to write an SQLite file, across server processes.

With ``--workers N`` each process has its own group-commit writer on the same file. SQLite
lets one of them in and makes the others retry after sleeping 1, 2, 5, 10, ... ms (its busy
handler), so two busy writers lose most of their time asleep. Waiting on an exclusive
``flock`` instead wakes the next writer the moment the lock is released. SQLite's own lock
still guarantees correctness; this only decides who goes next without the sleeping.

:func:`sole_holder` is the other use of such a lock: a background pass (sealing, retention)
that one process runs while the others skip it.

Within one process, ``flock`` does not exclude: every thread shares the one open file, so a
second ``flock`` from another thread returns at once. The writer thread and a background pass
(sealing, retention) of the same process would then both reach ``BEGIN IMMEDIATE`` and the
pass would sleep in SQLite's busy handler against a writer that never pauses, until
``database is locked``. So the turn is also a lock among the process's own threads.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType


def _open_lock_file(path: Path) -> int:
    # Only the server's own user takes these locks; children do not inherit the descriptor.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


class WriteTurn:
    """Context manager: hold an exclusive lock on ``<database>.write-lock`` while writing."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".write-lock")
        self._fd: int | None = None
        self._opening = threading.Lock()
        # Reentrant, with a depth, so a write nested in another (a side write inside a
        # batch's transaction) does not wait for itself; the flock is held at depth > 0.
        self._threads = threading.RLock()
        self._depth = 0

    def _descriptor(self) -> int:
        fd = self._fd
        if fd is None:
            with self._opening:
                if self._fd is None:
                    self._fd = _open_lock_file(self.path)
                fd = self._fd
        return fd

    def __enter__(self) -> None:
        # Both locks release the GIL while they wait.
        self._threads.acquire()
        try:
            if self._depth == 0:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._opening:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


@contextmanager
def sole_holder(path: Path) -> Iterator[bool]:
    """True inside when this process took the exclusive lock on ``path`` without waiting;
    False when another holds it. Released (and the file closed) at exit; a process that dies
    releases it too."""
    fd = _open_lock_file(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
