"""Aggregation over a prefilled database: ms per query and database bytes per event.

Runs in-process through ``tidings.core.aggregate`` (what the HTTP API calls, minus HTTP) on
``bench/metric``, the stream bench/prefill.py fills with 90% of its events over two years:

- count and avg in day, week and month buckets over the last 30 days, 1 year and 2 years,
  served from the rollup tiers, and day buckets computed by a raw scan of the events table
  in SQL (what a server without rollups does at best)
- distinct users and p95 in day buckets and one ``total`` bucket over the same windows:
  first as raw scans (every event of the range, per bucket in SQL, as if no day were sealed:
  the "before"; over 30 days also row by row in Python), then the whole database is sealed
  (``tidings seal``; timed) and the same queries run against the sealed days: day buckets
  exact (one stored row per day), day and total buckets with ``approx`` (merged sketches),
  with the largest relative error of each against the raw answer

Raw-scan queries run ``--raw-repeat`` times without a warm-up run (a 2-year scan takes
seconds); rollup and sealed queries run ``--repeat``/``--raw-repeat`` times after one.

    python bench/prefill.py --data-dir /work/benchdata/sqlite10m --events 10000000
    python bench/aggregate.py --data-dir /work/benchdata/sqlite10m --reseal
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

from sqlalchemy import delete  # noqa: E402

from common import load_average, machine  # noqa: E402
from tidings.core import sealing  # noqa: E402
from tidings.core.aggregate import AggregateQuery, Bucket, aggregate  # noqa: E402
from tidings.core.buckets import boundaries  # noqa: E402
from tidings.model.records import EventFilter  # noqa: E402
from tidings.storage import open_storage  # noqa: E402
from tidings.storage.base import Storage  # noqa: E402
from tidings.storage.day_stats import day_stats  # noqa: E402

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
        "result": result,
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


RAW_FUNCTIONS = ("distinct_users", "p95")


def unsealed(storage: Storage) -> Storage:
    """The same storage as if no day were sealed: raw-scan functions scan every event of the
    range, as they did before day_stats (the "before")."""
    raw = copy.copy(storage)
    raw.__class__ = type("Unsealed", (type(storage),), {"day_stats": lambda self, *a, **k: []})
    return raw


def run(
    storage: Storage,
    url: str,
    repeat: int,
    raw_repeat: int,
    before: bool,
    windows: tuple[str, ...] = tuple(WINDOWS),
    reseal: bool = False,
) -> dict[str, Any]:
    report: dict[str, Any] = {"queries": {}}
    events = storage.count_events()
    size = database_bytes(storage, url)
    report.update(events=events, database_bytes=size, bytes_per_event=size / max(events, 1))
    chosen = {w: span for w, span in WINDOWS.items() if w in windows}
    raw_answers: dict[str, Any] = {}
    for window, span in chosen.items():
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
        raw = unsealed(storage)
        for fn, granularity in itertools.product(RAW_FUNCTIONS, ("day", "total")):
            query = AggregateQuery(flt=flt, granularity=granularity, fn=fn)
            name = f"{fn} {granularity} {window} raw (before)"
            timing = timed(lambda q=query, r=raw: aggregate(r, q), raw_repeat, False)
            raw_answers[name] = timing.pop("result")
            record(report, name, timing)
            if window == "30d" and granularity == "day" and before:
                slow = in_python(raw)
                name = f"{fn} day {window} in Python (older)"
                record(report, name, timed(lambda q=query, s=slow: aggregate(s, q), 1, False))
    if not raw_repeat:
        return report
    report["seal"] = seal_all(storage, reseal)
    for window, span in chosen.items():
        flt = _flt(span.days)
        for fn, granularity in itertools.product(RAW_FUNCTIONS, ("day", "total")):
            for approx in (False, True):
                if granularity == "total" and not approx:
                    continue  # one bucket of many days: exact means the raw scan above
                query = AggregateQuery(flt=flt, granularity=granularity, fn=fn, approx=approx)
                mode = "approx" if approx else "exact"
                name = f"{fn} {granularity} {window} sealed {mode}"
                timing = timed(lambda q=query: aggregate(storage, q), raw_repeat)
                answer = timing.pop("result")
                exact = raw_answers[f"{fn} {granularity} {window} raw (before)"]
                timing["max_relative_error"] = max_error(answer, exact)
                record(report, name, timing)
    return report


def seal_all(storage: Storage, reseal: bool) -> dict[str, Any]:
    """Seal every past day, timed; ``reseal`` forgets what was sealed first, so the figure
    is the time to seal the whole database."""
    if reseal:
        with storage.engine.begin() as conn:
            conn.execute(delete(day_stats))
    began = time.perf_counter()
    sealed = sealing.seal(storage)
    seconds = time.perf_counter() - began
    print(f"  sealed {sealed:,} stream-days in {seconds:.1f} s", flush=True)
    return {"stream_days": sealed, "seconds": seconds, "whole_database": reseal}


def max_error(answer: list[Bucket], exact: list[Bucket]) -> float:
    """Largest relative difference between two answers' bucket values."""
    worst = 0.0
    for a, e in zip(answer, exact, strict=True):
        assert a.start == e.start and a.count == e.count, (a, e)
        if a.value != e.value:
            worst = max(worst, abs(a.value - e.value) / abs(e.value))  # type: ignore[operator]
    return worst


def _flt(days: int) -> EventFilter:
    return EventFilter(
        namespace="bench",
        names=("metric",),
        from_us=_us(END - timedelta(days=days)),
        to_us=_us(END),
    )


def record(report: dict[str, Any], name: str, timing: dict[str, Any]) -> None:
    timing.pop("result", None)
    report["queries"][name] = timing
    error = timing.get("max_relative_error")
    print(
        f"  {name:40} {timing['buckets']:4} buckets p50 {timing['p50_ms']:9.1f} ms "
        f"min {timing['min_ms']:9.1f} ms  load {timing['load_average']}"
        + (f"  max error {error:.2%}" if error is not None else ""),
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
    parser.add_argument(
        "--reseal",
        action="store_true",
        help="forget sealed days first, so the seal pass is timed over the whole database",
    )
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
                args.reseal,
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
