"""SQLite vs PostgreSQL on the same data: ingest rate and aggregation latency.

Both engines get the same synthetic events (bench/prefill.py: two years, 90% in
``bench/metric``), written through ``insert_batch`` in batches of 20,000, then answer the
same aggregates: some served from rollups, some scanning raw rows. PostgreSQL runs in a
schema of its own, dropped afterwards.

    python bench/storage_compare.py --events 10000000 \
        --postgres-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from common import machine
from prefill import START, prefill
from tidings.core.aggregate import AggregateQuery, aggregate
from tidings.model.records import EventFilter
from tidings.storage import open_storage
from tidings.storage.base import Storage


def _us(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


QUERIES = [
    ("count per day, 2 years (rollups)", "day", "count", START, START + timedelta(days=730)),
    ("sum per hour, 30 days (rollups)", "hour", "sum", START, START + timedelta(days=30)),
    ("avg per week, 1 year (rollups)", "week", "avg", START, START + timedelta(days=365)),
    ("p95 per day, 7 days (raw scan)", "day", "p95", START, START + timedelta(days=7)),
    (
        "distinct users, 30 days (raw scan)",
        "total",
        "distinct_users",
        START,
        START + timedelta(days=30),
    ),
]


def time_queries(storage: Storage, repeat: int) -> dict[str, float]:
    found = {}
    for label, granularity, fn, lo, hi in QUERIES:
        flt = EventFilter(namespace="bench", names=("metric",), from_us=_us(lo), to_us=_us(hi))
        query = AggregateQuery(flt=flt, granularity=granularity, fn=fn)
        runs = []
        for _ in range(repeat):
            began = time.perf_counter()
            aggregate(storage, query)
            runs.append(time.perf_counter() - began)
        found[label] = statistics.median(runs) * 1000
    return found


def run(url: str, events: int, repeat: int) -> dict[str, object]:
    rate = prefill(url, events)
    storage = open_storage(url)
    storage.startup()
    try:
        return {"ingest_events_per_s": round(rate), "query_ms": time_queries(storage, repeat)}
    finally:
        storage.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--output", default="bench/results/storage_compare.json")
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    args = parser.parse_args()
    results: dict[str, object] = {
        "machine": machine(),
        "events": args.events,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite: {args.events:,} events", flush=True)
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = run(url, args.events, args.repeat)
    if "postgresql" in engines:
        results["postgresql"] = _postgres(args.postgres_url, args.events, args.repeat)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def _postgres(base: str, events: int, repeat: int) -> dict[str, object]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        print(f"PostgreSQL: {events:,} events", flush=True)
        sep = "&" if "?" in base else "?"
        return run(f"{base}{sep}options=-csearch_path%3D{schema}", events, repeat)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
