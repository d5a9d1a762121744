"""Fill a Tidings database with N synthetic events spread over two years, quickly.

Writes through the storage engine's own ``insert_batch`` (the writer's path: raw rows and
every rollup tier in one transaction per batch), skipping HTTP, so ten million events take
minutes, not an hour. The events land in source ``prefill``:

- ``bench/metric``: 90% of the events, values 0..999, users u0..u9999 (the aggregation target)
- ``bench/other0..9``: the rest, so the target is not the whole table

Then every past day is sealed (``tidings seal``), as a running server does in the background.

    python bench/prefill.py --data-dir bench/results/data --events 10000000
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from tidings.core import sealing
from tidings.core.auth import new_secret, secret_hash
from tidings.model.events import EventDraft
from tidings.storage import open_storage

TWO_YEARS_US = 730 * 24 * 3600 * 1_000_000
START = datetime(2024, 11, 1, tzinfo=UTC)
BATCH = 20_000


def prefill(url: str, total: int, seed: int = 7, seal: bool = True) -> float:
    """Insert ``total`` events, then (``seal``) seal every past day as the server's
    background pass would (aggregate queries are measured against sealed days); returns the
    events/s achieved by the inserts."""
    storage = open_storage(url)
    storage.startup()
    source = storage.create_source(
        f"prefill-{int(time.time())}", secret_hash(new_secret("wk_")), None
    )
    rng = random.Random(seed)
    start_us = int(START.timestamp() * 1_000_000)
    step = TWO_YEARS_US / max(total, 1)
    began = time.perf_counter()
    done = 0
    while done < total:
        count = min(BATCH, total - done)
        drafts = []
        for i in range(done, done + count):
            ts = start_us + int(i * step) + rng.randrange(1_000_000)
            name = "metric" if rng.random() < 0.9 else f"other{rng.randrange(10)}"
            drafts.append(
                EventDraft(
                    source_id=source.id,
                    namespace="bench",
                    name=name,
                    timestamp=ts,
                    received_at=ts,
                    value=float(rng.randrange(1000)),
                    properties=None,
                    context=None,
                    message_id=None,
                    user_id=f"u{rng.randrange(10_000)}",
                    anonymous_id=None,
                    session_id=None,
                )
            )
        storage.insert_batch(drafts)
        done += count
        if done % 1_000_000 < BATCH:
            rate = done / (time.perf_counter() - began)
            print(f"  prefill: {done:,} events ({rate:,.0f}/s)", flush=True)
    rate = total / (time.perf_counter() - began)
    if seal:
        sealed_at = time.perf_counter()
        sealed = sealing.seal(storage)
        print(f"  sealed {sealed:,} stream-days in {time.perf_counter() - sealed_at:.1f} s")
    storage.shutdown()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="bench/results/data")
    parser.add_argument("--database-url", help="default: sqlite in the data dir")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--no-seal", action="store_true", help="leave the days unsealed (raw scans only)"
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{args.data_dir}/tidings.db"
    import os

    os.makedirs(args.data_dir, exist_ok=True)
    rate = prefill(url, args.events, seal=not args.no_seal)
    print(f"prefilled {args.events:,} events at {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
