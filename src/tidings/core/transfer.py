"""Moving all data to another database (``tidings migrate-data``): the copy, ids and all,
and the figures that prove it complete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tidings.storage import transfer
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
