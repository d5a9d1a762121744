"""How long ingest waits while retention prunes: commit latency of small batches, with and
without a pruning pass running beside them on the same database.

    python bench/retention_stall.py --old 1000000 [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import machine
from tidings.core import retention
from tidings.model.events import EventDraft
from tidings.storage import open_storage
from tidings.storage.base import Storage

DAY = retention.DAY_US


def _fill_old(storage: Storage, source_id: int, count: int) -> None:
    now = int(time.time() * 1_000_000)
    for start in range(0, count, 20_000):
        storage.insert_batch(
            [
                EventDraft(
                    source_id,
                    "old",
                    "e",
                    now - 400 * DAY + i * 1_000_000,
                    now,
                    1.0,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
                for i in range(start, min(count, start + 20_000))
            ]
        )


def _commit_latencies(storage: Storage, source_id: int, seconds: float, tag: str) -> list[float]:
    latencies = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        now = int(time.time() * 1_000_000)
        batch = [
            EventDraft(
                source_id,
                "new",
                "e",
                now,
                now,
                1.0,
                None,
                None,
                None,
                None,
                None,
                None,
            )
            for i in range(50)
        ]
        n += 1
        began = time.perf_counter()
        storage.insert_batch(batch)
        latencies.append((time.perf_counter() - began) * 1000)
        time.sleep(0.002)
    return latencies


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "commits": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'stall.db'}"
        storage = open_storage(url)
        storage.startup()
        source = storage.create_source(f"stall-{int(time.time())}", "s" * 64, 30)
        _fill_old(storage, source.id, args.old)
        quiet = _commit_latencies(storage, source.id, 5, "quiet")
        deleted: list[int] = []
        began = time.perf_counter()
        pruning = threading.Thread(
            target=lambda: deleted.append(
                retention.prune(storage, 0, pause=lambda: time.sleep(retention.PAUSE))
            )
        )
        pruning.start()
        busy = _commit_latencies(storage, source.id, 5, "busy")
        pruning.join()
        took = time.perf_counter() - began
        storage.shutdown()
    report = {
        "machine": machine(),
        "engine": url.split(":", 1)[0],
        "old_events": args.old,
        "pruned": deleted[0],
        "prune_seconds": round(took, 1),
        "ingest_quiet": _summary(quiet),
        "ingest_while_pruning": _summary(busy),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
