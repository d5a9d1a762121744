"""Aggregation over a prefilled database: ms per query and database bytes per event.

Runs in-process through ``tidings.core.aggregate`` (what the HTTP API calls, minus HTTP) on
``bench/metric``, the stream bench/prefill.py fills with 90% of its events over two years:

- count and avg in day, week and month buckets over the last 30 days, 1 year and 2 years,
  served from the rollup tiers, and day buckets computed by a raw scan of the events table
  in SQL (what a server without rollups does at best)
- distinct users and p95 in day buckets over the same windows (raw-scan functions, computed
  per bucket in SQL), and over 30 days also row by row in Python (how they were computed
  before)

Raw-scan queries run ``--raw-repeat`` times without a warm-up run (a 2-year scan takes
seconds); rollup queries run ``--repeat`` times after one.

    python bench/prefill.py --data-dir /work/benchdata/sqlite10m --events 10000000
    python bench/aggregate.py --data-dir /work/benchdata/sqlite10m
    python bench/aggregate.py --database-url postgresql://postgres@127.0.0.1/benchagg

Results print as a table and are saved to bench/results/aggregate-<time>.json.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import load_average, machine  # noqa: E402
from tidings.core.aggregate import AggregateQuery, aggregate  # noqa: E402
from tidings.core.buckets import boundaries  # noqa: E402
from tidings.storage import open_storage  # noqa: E402
from tidings.storage.base import EventFilter, Storage  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)
WINDOWS = {"30d": timedelta(days=30), "1y": timedelta(days=365), "2y": timedelta(days=730)}
GRANULARITIES = ("day", "week", "month")


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def timed(run: Callable[[], Any], repeat: int, warm: bool = True) -> dict[str, Any]:
    """Median and best of ``repeat`` runs, after one warm-up run when ``warm``."""
    result = run() if warm else None
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - began) * 1000)
    return {
        "p50_ms": statistics.median(timings),
        "min_ms": min(timings),
        "buckets": len(result or ()),
        "load_average": load_average(),
    }


def in_python(storage: Storage) -> Storage:
    """The same storage with raw-scan functions computed row by row in Python (the
    portable defaults, as every engine did before they moved into SQL): the "before"."""
    slow = copy.copy(storage)
    slow.__class__ = type(
        "InPython",
        (type(storage),),
        {
            "distinct_persons": Storage.distinct_persons,
            "value_percentile": Storage.value_percentile,
        },
    )
    return slow


def raw_scan(storage: Storage, flt: EventFilter, granularity: str) -> list[tuple[Any, ...]]:
    """count and avg per bucket straight from the events table, in SQL."""
    assert flt.from_us is not None and flt.to_us is not None
    edges = boundaries(flt.from_us, flt.to_us, granularity, ZoneInfo("UTC"), 100_000)
    pieces = [(i, lo, hi) for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
    ids = [s.id for s in storage.streams(flt)]
    columns = "p.k, count(*), avg(e.value)"
    if storage.engine.dialect.name == "sqlite":
        sql = (
            "WITH p(k, lo, hi) AS MATERIALIZED (SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
            f"SELECT {columns} FROM p JOIN events e ON e.stream_id IN "
            f"({','.join(map(str, ids))}) AND e.ts >= p.lo AND e.ts < p.hi GROUP BY p.k"
        )
        return list(storage._conn().execute(sql, (json.dumps(pieces),)))  # type: ignore[attr-defined]
    sql = (
        f"SELECT {columns} FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(k, lo, hi) "
        "CROSS JOIN LATERAL (SELECT value FROM events WHERE stream_id = ANY(%s) "
        "AND ts >= p.lo AND ts < p.hi OFFSET 0) e GROUP BY p.k"
    )
    keys, los, his = (list(col) for col in zip(*pieces, strict=True))
    with storage._read() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(sql, (keys, los, his, ids)).fetchall())


def database_bytes(storage: Storage, url: str) -> int:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with storage._read() as conn:  # type: ignore[attr-defined]
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0])


def run(
    storage: Storage,
    url: str,
    repeat: int,
    raw_repeat: int,
    before: bool,
    windows: tuple[str, ...] = tuple(WINDOWS),
) -> dict[str, Any]:
    report: dict[str, Any] = {"queries": {}}
    events = storage.count_events()
    size = database_bytes(storage, url)
    report.update(events=events, database_bytes=size, bytes_per_event=size / max(events, 1))
    for window, span in WINDOWS.items():
        if window not in windows:
            continue
        flt = _flt(span.days)
        for granularity in GRANULARITIES:
            for fn in ("count", "avg"):
                query = AggregateQuery(flt=flt, granularity=granularity, fn=fn)
                name = f"{fn} {granularity} {window} rollups"
                record(report, name, timed(lambda q=query: aggregate(storage, q), repeat))
        if not raw_repeat:
            continue
        name = f"count+avg day {window} raw scan"
        record(report, name, timed(lambda f=flt: raw_scan(storage, f, "day"), raw_repeat, False))
        for fn in ("distinct_users", "p95"):
            query = AggregateQuery(flt=flt, granularity="day", fn=fn)
            name = f"{fn} day {window}"
            record(report, name, timed(lambda q=query: aggregate(storage, q), raw_repeat, False))
            if window == "30d" and before:
                slow = in_python(storage)
                name = f"{fn} day {window} in Python (before)"
                record(report, name, timed(lambda q=query, s=slow: aggregate(s, q), 1, False))
    return report


def _flt(days: int) -> EventFilter:
    return EventFilter(
        namespace="bench",
        names=("metric",),
        from_us=_us(END - timedelta(days=days)),
        to_us=_us(END),
    )


def record(report: dict[str, Any], name: str, timing: dict[str, Any]) -> None:
    report["queries"][name] = timing
    print(
        f"  {name:34} {timing['buckets']:4} buckets p50 {timing['p50_ms']:9.1f} ms "
        f"min {timing['min_ms']:9.1f} ms  load {timing['load_average']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(HERE / "results" / "data"))
    parser.add_argument("--database-url", help="default: sqlite in the data dir")
    parser.add_argument("--repeat", type=int, default=10, help="runs per rollup query")
    parser.add_argument(
        "--raw-repeat", type=int, default=1, help="runs per raw-scan query (0: rollups only)"
    )
    parser.add_argument(
        "--no-before", action="store_true", help="skip the row-by-row Python comparison"
    )
    parser.add_argument("--windows", default=",".join(WINDOWS), help="any of 30d,1y,2y")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{args.data_dir}/tidings.db"
    storage = open_storage(url)
    storage.startup()
    report: dict[str, Any] = {"machine": machine(), "database": url.split("?")[0]}
    report["load_average_start"] = load_average()
    try:
        print(f"aggregation on {report['database']}", flush=True)
        report.update(
            run(
                storage,
                url,
                args.repeat,
                args.raw_repeat,
                not args.no_before,
                tuple(args.windows.split(",")),
            )
        )
    finally:
        storage.shutdown()
    report["load_average_end"] = load_average()
    print(
        f"  {report['events']:,} events, {report['database_bytes'] / 1e6:,.0f} MB, "
        f"{report['bytes_per_event']:.0f} bytes/event"
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"aggregate-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")
    return report


if __name__ == "__main__":
    main()
