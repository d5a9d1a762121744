"""The Parquet files and their manifest: one file per UTC day, the manifest written last with
the mark, deletes rewrite only the files holding the ids, and a writer commits only over the
manifest it read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tidings.analytics import parquet
from tidings.analytics.columnar import FIELD_NAMES, columns_to_arrow

DAY = parquet.DAY_US
BASE = 1_774_000_000_000_000  # 2026-03-20T09:46:40Z


def events(ids: list[int], day_of_id: int = 3) -> pa.Table:
    columns: dict[str, list[object]] = {name: [None] * len(ids) for name in FIELD_NAMES}
    columns["id"] = list(ids)
    columns["ts"] = [BASE + (i % day_of_id) * DAY for i in ids]
    columns["name"] = ["n"] * len(ids)
    return columns_to_arrow(columns)


def test_appends_write_a_file_per_day_and_the_mark_last(tmp_path: Path) -> None:
    files = parquet.ParquetFiles(str(tmp_path))
    files.append(events([1, 2, 3, 4, 5, 6]), 6)
    manifest = files.manifest()
    assert manifest.hwm == 6 and manifest.rows == 6
    assert sorted(p.day for p in manifest.parts) == ["2026-03-20", "2026-03-21", "2026-03-22"]
    for part in manifest.parts:
        ts = pq.read_table(str(tmp_path / part.path)).column("ts").to_pylist()
        assert {parquet.day_of(t) for t in ts} == {part.day}


def test_deletes_rewrite_only_the_files_holding_the_ids(tmp_path: Path) -> None:
    files = parquet.ParquetFiles(str(tmp_path))
    files.append(events([1, 2, 3, 4, 5, 6]), 6)
    before = {p.day: p.path for p in files.manifest().parts}
    assert files.delete_ids([4, 99]) == 1
    after = {p.day: p.path for p in files.manifest().parts}
    changed = {day for day in before if before[day] != after.get(day)}
    assert changed == {parquet.day_of(BASE + (4 % 3) * DAY)}
    assert files.manifest().rows == 5 and files.manifest().hwm == 6


def test_a_commit_over_a_manifest_another_writer_replaced_is_refused(tmp_path: Path) -> None:
    one = parquet.ParquetFiles(str(tmp_path))
    stale = one.manifest()
    parquet.ParquetFiles(str(tmp_path)).append(events([1, 2]), 2)
    with pytest.raises(parquet.ManifestMoved):
        one._commit(stale)
    assert one.manifest().hwm == 2
