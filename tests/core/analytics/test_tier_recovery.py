"""The tier after a crash: ``kill -9`` while feeding loses and doubles nothing, and deletes
it never heard of (another process, a crash between the two commits) are repaired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tidings.core.analytics.tier import Tier
from tidings.core.event_sql import LoadedEvents
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage.sqlite import SQLiteStorage

BASE = 1_774_000_000_000_000
EVENTS = 40_000

FEEDER = textwrap.dedent(
    """
    import sys
    from tidings.core.analytics.tier import Tier
    from tidings.storage.sqlite import SQLiteStorage

    storage = SQLiteStorage(sys.argv[1])
    storage.startup()
    tier = Tier(storage, sys.argv[2], "128MB", 1, chunk=500)
    tier.catch_up(progress=lambda n: print(tier.store.hwm(), flush=True))
    print("done", flush=True)
    """
)


def _fill(storage: SQLiteStorage, count: int) -> None:
    source = storage.create_source("web", "key", None)
    drafts = [
        EventDraft(
            source.id,
            "ns",
            "n",
            BASE + i,
            BASE + i,
            1.0,
            f'{{"path": "/p{i % 7}"}}',
            None,
            None,
            f"u{i % 13}",
            None,
            None,
        )
        for i in range(count)
    ]
    storage.insert_batch(drafts)


def _totals(tier: Tier) -> tuple[int, int]:
    rows = tier.fetch_sync(EventFilter(), "SELECT count(*), count(DISTINCT id) FROM events")
    return int(rows[0][0]), int(rows[0][1])


def test_kill_9_while_feeding_loses_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    storage = SQLiteStorage(url)
    storage.startup()
    _fill(storage, EVENTS)
    path = str(tmp_path / "analytics.duckdb")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(
        [sys.executable, "-c", FEEDER, url, path], stdout=subprocess.PIPE, text=True, env=env
    ) as feeder:
        assert feeder.stdout is not None
        # Kill it mid-way: after a few transactions, long before the last.
        applied = [int(feeder.stdout.readline()) for _ in range(5)]
        os.kill(feeder.pid, signal.SIGKILL)
        feeder.wait()
    assert 0 < applied[-1] < EVENTS
    tier = Tier(storage, path, "128MB", 1)
    try:
        # The copy holds exactly the rows up to its mark; the tail makes up the rest.
        mark = tier.store.hwm()
        assert mark >= applied[-1]
        assert tier.store.count() == mark
        assert _totals(tier) == (EVENTS, EVENTS)
        tier.catch_up()
        assert tier.store.hwm() == EVENTS
        assert tier.store.count() == EVENTS
        assert _totals(tier) == (EVENTS, EVENTS)
    finally:
        tier.stop()
        storage.shutdown()


def test_deletes_the_tier_missed_are_repaired_by_the_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    storage = SQLiteStorage(url)
    storage.startup()
    _fill(storage, 3000)
    tier = Tier(storage, str(tmp_path / "analytics.duckdb"), "128MB", 1)
    try:
        tier.catch_up()
        # Another process deletes: this storage object (and so the tier) never hears of it.
        other = SQLiteStorage(url)
        other.startup()
        assert other.delete_events(EventFilter(props=(("path", "/p3"),))) > 0
        assert other.erase_person(user_id="u5") > 0
        other.shutdown()
        assert tier.check() > 0
        sql = "SELECT user_id, count(*) FROM events GROUP BY 1 ORDER BY 1"
        assert tier.fetch_sync(EventFilter(), sql) == LoadedEvents(storage)._fetch(
            EventFilter(), sql, ()
        )
        assert tier.check() == 0
    finally:
        tier.stop()
        storage.shutdown()


def test_deletes_in_this_process_reach_the_tier_at_once(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'events.db'}")
    storage.startup()
    _fill(storage, 2000)
    tier = Tier(storage, str(tmp_path / "analytics.duckdb"), "128MB", 1)
    try:
        tier.catch_up()
        before = tier.store.count()
        deleted = storage.delete_events(EventFilter(props=(("path", "/p1"),)))
        deleted += storage.erase_linked(user_id="u2")[0]["u2"]
        deleted += storage.prune_events(1, BASE + 500, 10_000)
        assert tier.store.count() == before - deleted
        assert tier.check() == 0
    finally:
        tier.stop()
        storage.shutdown()
