"""A backup is one consistent snapshot: what commits while it is being copied is in none of
its tables, so its events and rollups agree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.services import postgres_schema
from tidings.core import transfer
from tidings.model.events import EventDraft
from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.schema import TIERS, events

T0 = 1_704_067_200_000_000


def _drafts(source: int, n: int, start: int = 0) -> list[EventDraft]:
    return [
        EventDraft(source, "a", "b", T0 + i, T0, 1.0, None, None, f"m{i}", None, None, None)
        for i in range(start, start + n)
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.xdist_group("pg"))])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    sqlite = nullcontext(f"sqlite:///{tmp_path / 'live.db'}")
    with postgres_schema() if request.param == "postgresql" else sqlite as url:
        found = open_storage(url)
        found.startup()
        yield found
        found.shutdown()


def test_what_commits_during_a_backup_is_not_in_it(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tidings.storage import transfer as rows

    monkeypatch.setattr(rows, "CHUNK", 7)  # many chunks: writes land between them
    source = storage.create_source("web", "w" * 64, None).id
    storage.insert_batch(_drafts(source, 30))
    written: list[int] = []

    def write_meanwhile(copied: int) -> None:
        # Called after each copied chunk: the first time, five more events commit.
        if not written:
            written.extend(r.id for r in storage.insert_batch(_drafts(source, 5, 30)))

    file = tmp_path / "snap.db"
    transfer.backup(storage, file, write_meanwhile)
    if storage.engine.dialect.name == "postgresql":
        assert written, "the copy reported no progress, so nothing was written during it"
    with transfer.opened_backup(file) as snapshot, snapshot.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar()
        assert stored == 30
        for table, _ in TIERS:
            assert conn.execute(select(func.sum(table.c.count))).scalar() == stored, table.name
