"""Moving all data to another database (``tidings migrate-data``): the copy, ids and all,
and the figures that prove it complete; and backups (``tidings backup``/``restore``).

A backup is one SQLite file holding every table at the schema of the Tidings that wrote it:
events (ids, sources, receipt times), rollups, sealed days, users, key and token hashes and
the compat slices' records. A SQLite installation is copied with SQLite's online backup API;
a PostgreSQL one is read in one REPEATABLE READ transaction, so either is one consistent
snapshot while the server keeps running. Restoring copies the file's rows into an empty
database of either engine, as ``migrate-data`` does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tidings.errors import Conflict, Invalid, TidingsError
from tidings.storage import open_storage, transfer
from tidings.storage.base import Storage


@dataclass(frozen=True, slots=True)
class Tally:
    """What a database holds: rows per table, and per rollup tier its total count and sum."""

    rows: dict[str, int]
    rollups: dict[str, tuple[int, float]]


def tally(storage: Storage) -> Tally:
    return Tally(transfer.row_counts(storage.engine), transfer.rollup_totals(storage.engine))


def total_rows(storage: Storage) -> int:
    """Rows in every table together: the length of a copy's progress."""
    return sum(transfer.row_counts(storage.engine).values())


def copy_all(
    source: Storage, target: Storage, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; returns rows copied per table.

    Raises:
        Conflict: the target already holds data.
    """
    return transfer.copy_all(source, target, progress)


def backup(source: Storage, path: Path, progress: Callable[[int], None] | None = None) -> None:
    """Write a consistent snapshot of ``source`` to the new file ``path``.

    Raises:
        Conflict: ``path`` exists already.
        TidingsError: the snapshot lacks a table of the source (a newer database).
    """
    if path.exists():
        raise Conflict(f"{path} exists; back up into a new file")
    # Written next to its place and renamed when complete: a failed or interrupted backup
    # never leaves a file that looks like one.
    partial = path.with_name(f".{path.name}.partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        if source.engine.dialect.name == "sqlite":
            transfer.sqlite_backup(source.engine, partial)
        else:
            _copy_into_file(source, partial, progress)
        transfer.single_file(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _copy_into_file(source: Storage, path: Path, progress: Callable[[int], None] | None) -> None:
    target = open_storage(f"sqlite:///{path}")
    target.startup()
    try:
        copied = transfer.copy_all(source, target, progress)
    finally:
        target.shutdown()
    missing = {t.name for t in transfer.tables(source.engine)} - set(copied)
    if missing:
        raise TidingsError(
            f"the backup has no table {sorted(missing)[0]!r}: this Tidings is older than the "
            "database; back up with the version that migrated it"
        )


@contextmanager
def opened_backup(path: Path) -> Iterator[Storage]:
    """The backup at ``path`` as storage, read from a private copy migrated to this
    version's schema (the file itself is never changed).

    Raises:
        Invalid: ``path`` is not a Tidings backup.
    """
    if not path.is_file() or not transfer.is_tidings_file(path):
        raise Invalid.field("FILE", f"{path} is not a Tidings backup (tidings backup FILE)")
    with tempfile.TemporaryDirectory(prefix="tidings-restore-") as tmp:
        copy = Path(tmp) / "backup.db"
        shutil.copyfile(path, copy)
        storage = open_storage(f"sqlite:///{copy}")
        storage.startup()
        try:
            yield storage
        finally:
            storage.shutdown()
