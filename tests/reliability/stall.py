"""Make a real server's writer slow without mocks: hold SQLite's write lock from outside.

Another connection's ``BEGIN IMMEDIATE`` on the same file makes the writer's own
``BEGIN IMMEDIATE`` wait (up to its busy timeout, 10 s), so requests queue up behind it
exactly as they would behind a slow disk.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def held_write_lock(database: Path) -> Iterator[None]:
    conn = sqlite3.connect(database, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def queue_depth(url: str) -> int:
    """Events queued for the writer, as ``/readyz`` reports it."""
    depth: int = httpx.get(f"{url}/readyz", timeout=5).json()["queue_depth"]
    return depth


def wait_for_depth(url: str, depth: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (seen := queue_depth(url)) < depth:
        assert time.monotonic() < deadline, f"queue depth {seen}, expected {depth}"
        time.sleep(0.02)
