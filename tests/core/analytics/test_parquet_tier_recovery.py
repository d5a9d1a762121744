"""The Parquet tier after ``kill -9`` of its writer mid-way: the next writer carries on from
the manifest's mark, and the files hold every event exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.services import postgres_schema
from tidings.analytics import parquet
from tidings.core.analytics.parquet_tier import ParquetTier
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import analytics_feed, open_storage

BASE = 1_774_000_000_000_000
HOUR = 3_600_000_000
EVENTS = 20_000

WRITER = textwrap.dedent(
    """
    import sys
    from tidings.core.analytics.parquet_tier import ParquetTier
    from tidings.storage import analytics_feed, open_storage

    storage = open_storage(sys.argv[1])
    storage.startup()
    ParquetTier(storage, sys.argv[2], "128MB", 1, chunk=150).round()
    """
)


def test_a_writer_killed_mid_way_loses_and_doubles_nothing(tmp_path: Path) -> None:
    directory = str(tmp_path / "analytics")
    with postgres_schema() as url:
        storage = open_storage(url)
        storage.startup()
        try:
            source = storage.create_source("web", "key", None)
            drafts = [
                # Spread over four days, so each append writes several day files.
                EventDraft(source.id, "ns", "n", BASE + (i % 97) * HOUR, BASE, 1.0,
                           f'{{"path": "/p{i % 7}"}}', None, None, f"u{i % 13}", None, None)
                for i in range(EVENTS)
            ]  # fmt: skip
            storage.insert_batch(drafts)
            child = subprocess.Popen(
                [sys.executable, "-c", WRITER, url, directory], env={**os.environ}
            )
            try:
                deadline = time.monotonic() + 60
                while parquet.read_manifest(directory).hwm == 0 and child.poll() is None:
                    assert time.monotonic() < deadline, "the writer never committed"
                    time.sleep(0.01)
            finally:
                child.send_signal(signal.SIGKILL)
                child.wait()
            killed_at = parquet.read_manifest(directory)
            # Killed mid-way, at a mark whose files hold exactly the events up to it.
            assert 0 < killed_at.hwm < analytics_feed.max_id(storage.engine)
            assert killed_at.rows == analytics_feed.count_upto(storage.engine, killed_at.hwm)
            tier = ParquetTier(storage, directory, "128MB", 1)
            tier.round()
            after = parquet.read_manifest(directory)
            assert after.rows == EVENTS
            sql = "SELECT count(*), count(DISTINCT id), count(DISTINCT person) FROM events"
            assert tier.fetch_sync(EventFilter(), sql) == [(EVENTS, EVENTS, 13)]
        finally:
            storage.shutdown()
