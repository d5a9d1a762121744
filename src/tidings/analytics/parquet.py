"""The columnar copy as day-partitioned Parquet files in a directory (PostgreSQL deployments).

Layout under the directory (see docs/analytics.md, "PostgreSQL"):

- ``events/day=YYYY-MM-DD/part-<first id>-<last id>-<nonce>.parquet``: the events of one UTC
  day (by event time), the columns of :data:`tidings.analytics.columnar.FIELD_NAMES`, the
  properties as JSON text;
- ``_manifest.json``: the high-water mark (the highest event id applied) and the files that
  make up the copy, with their day, row count and id range.

Every file is written under a temporary name and renamed into place, and the manifest is
written the same way **last**: a crash at any point leaves the previous manifest, which names
only complete files and agrees with its mark. Files no manifest names (left by a crash, or
replaced by a rewrite) are removed after :data:`GRACE` seconds, so a reader that read the
previous manifest a moment ago still finds its files.

One process writes (the caller makes sure of it); any number read the manifest and its files.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"
DAY_US = 86_400_000_000
#: A day holding more files than this is merged into one file.
MAX_PARTS = 8
#: Files of at least this many rows are left as they are by merging.
MERGED_ROWS = 1_000_000
#: Seconds an unreferenced file is kept for readers of the previous manifest.
GRACE = 120.0


def day_of(ts: int) -> str:
    return datetime.fromtimestamp((ts // DAY_US) * 86_400, UTC).strftime("%Y-%m-%d")


def day_start(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()) * 1_000_000


@dataclass(frozen=True)
class Part:
    path: str  # relative to the directory
    day: str
    rows: int
    first: int
    last: int


@dataclass
class Manifest:
    hwm: int = 0
    parts: list[Part] = field(default_factory=list)
    #: Wall-clock time the writer last began a check that made the files agree with the
    #: system of record up to ``hwm`` (deletes made before it are gone from the files).
    checked: float = 0.0
    #: Bumped by each manifest written; a writer commits only over the one it read.
    generation: int = 0

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)

    def files(self, directory: str, from_us: int | None, to_us: int | None) -> list[str]:
        """The files whose day overlaps ``[from_us, to_us)`` (absolute paths)."""
        chosen = []
        for part in self.parts:
            start = day_start(part.day)
            if to_us is not None and start >= to_us:
                continue
            if from_us is not None and start + DAY_US <= from_us:
                continue
            chosen.append(str(Path(directory) / part.path))
        return chosen


def read_manifest(directory: str) -> Manifest:
    try:
        raw = json.loads((Path(directory) / MANIFEST).read_bytes())
    except FileNotFoundError:
        return Manifest()
    return Manifest(
        hwm=int(raw["hwm"]),
        parts=[Part(**p) for p in raw["parts"]],
        checked=float(raw.get("checked", 0.0)),
        generation=int(raw.get("generation", 0)),
    )


def _write_atomically(path: Path, write: bytes | pa.Table) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        if isinstance(write, bytes):
            tmp.write_bytes(write)
        else:
            pq.write_table(write, str(tmp))
        # Durable before it is named: a power loss leaves the old name or the whole file.
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class ManifestMoved(RuntimeError):
    """Another writer committed a manifest since this one read it."""


class ParquetFiles:
    """The writer's side of one directory: append, delete by id, merge, collect garbage."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        Path(directory).mkdir(parents=True, exist_ok=True)

    def manifest(self) -> Manifest:
        return read_manifest(self.directory)

    def _commit(self, manifest: Manifest) -> None:
        # One writer holds the pass; should a second one run anyway (the first lost its
        # database connection, and so its lock, mid-round), the later commit of two made over
        # the same manifest is dropped instead of undoing the other's (its files become
        # garbage; nothing is lost or doubled, the next round starts from the manifest).
        if self.manifest().generation != manifest.generation:
            raise ManifestMoved(self.directory)
        body = {
            "hwm": manifest.hwm,
            "parts": [p.__dict__ for p in manifest.parts],
            "checked": manifest.checked,
            "generation": manifest.generation + 1,
        }
        _write_atomically(Path(self.directory) / MANIFEST, json.dumps(body).encode())

    def _write_part(self, day: str, table: pa.Table) -> Part:
        ids = table.column("id")
        first, last = int(pc.min(ids).as_py()), int(pc.max(ids).as_py())
        rel = f"events/day={day}/part-{first}-{last}-{uuid.uuid4().hex[:8]}.parquet"
        path = Path(self.directory) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, table)
        return Part(rel, day, table.num_rows, first, last)

    def append(self, table: pa.Table, hwm: int) -> None:
        """Add ``table`` (events above the mark, one file per day it spans) and move the
        mark to ``hwm``: the manifest naming the new files is written after them."""
        manifest = self.manifest()
        days: dict[str, list[int]] = {}
        for i, ts in enumerate(table.column("ts").to_pylist()):
            days.setdefault(day_of(int(ts)), []).append(i)
        for day, rows in sorted(days.items()):
            manifest.parts.append(self._write_part(day, table.take(rows)))
        for day in days:
            self._merge_day(manifest, day)
        manifest.hwm = hwm
        self._commit(manifest)

    def _merge_day(self, manifest: Manifest, day: str) -> None:
        # Only the small files are merged, so a busy day is not rewritten whole each time.
        parts = [p for p in manifest.parts if p.day == day and p.rows < MERGED_ROWS]
        if len(parts) <= MAX_PARTS:
            return
        tables = [pq.read_table(str(Path(self.directory) / p.path)) for p in parts]
        merged = pa.concat_tables(tables).sort_by("id")
        merging = {p.path for p in parts}
        keep = [p for p in manifest.parts if p.path not in merging]
        manifest.parts[:] = [*keep, self._write_part(day, merged)]

    def delete_ids(self, ids: Sequence[int], checked: float | None = None) -> int:
        """Rewrite the files holding any of ``ids`` without them; returns the rows removed.
        ``checked`` (a wall-clock time) is recorded as the manifest's ``checked``."""
        manifest = self.manifest()
        gone = pa.array(sorted(set(ids)), pa.int64())
        removed = 0
        if len(gone):
            low, high = gone[0].as_py(), gone[-1].as_py()
            parts: list[Part] = []
            for part in manifest.parts:
                if part.last < low or part.first > high:
                    parts.append(part)
                    continue
                table = pq.read_table(str(Path(self.directory) / part.path))
                kept = table.filter(pc.invert(pc.is_in(table.column("id"), gone)))
                if kept.num_rows == table.num_rows:
                    parts.append(part)
                    continue
                removed += table.num_rows - kept.num_rows
                if kept.num_rows:
                    parts.append(self._write_part(part.day, kept))
            manifest.parts = parts
        if removed or checked is not None:
            if checked is not None:
                manifest.checked = checked
            self._commit(manifest)
        return removed

    def collect_garbage(self, now: float | None = None) -> int:
        """Remove files no manifest names, older than :data:`GRACE` seconds."""
        now = time.time() if now is None else now
        named = {p.path for p in self.manifest().parts}
        removed = 0
        root = Path(self.directory)
        for path in root.glob("events/day=*/*"):
            rel = path.relative_to(root).as_posix()
            if rel in named:
                continue
            try:
                if now - path.stat().st_mtime > GRACE:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
