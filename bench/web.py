"""The web summary's costs: the browser work on the ingest hot path, and the summary query.

1. Ingest: what ``POST /api/v1/events`` adds per request for the snippet's events: the
   browser check on a batch that has none (every other client pays only this), the User-Agent
   parse (ua-parser on its Rust regex backend) uncached and cached, and marking a batch of 20
   browser events (the snippet's largest) with a cached salt.
2. Query: ``tidings.core.product.web`` SQL over an in-memory DuckDB ``events`` table of N page
   views over 30 days (the shape the analytics tier holds), beside a plain DuckDB
   ``count(*), count(DISTINCT person)`` over the same rows for scale.

    python bench/web.py --pageviews 1000000

Figures are medians of ``--repeat`` runs; the machine is shared, so treat them as noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from tidings.core import visitors
from tidings.core.event_sql import prop_path
from tidings.core.product import web
from tidings.http import browser
from tidings.model.records import EventFilter

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
DAY = 86_400_000_000


def _median_us(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1e6)
    return statistics.median(times)


class _Hasher:
    async def anonymous_id(self, now_us: int, source_id: int, address: str, ua: str) -> str:
        return visitors.visitor_id(b"s" * 16, source_id, address, ua)


class _Request:
    """Just what ``mark_browser_events`` reads of a request."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {
            "headers": [(b"user-agent", UA.encode())],
            "tidings.runtime": type("RT", (), {"visitors": _Hasher()})(),
        }
        self.client = type("C", (), {"host": "203.0.113.1"})()


def bench_ingest(repeat: int) -> None:
    plain = {"events": [{"namespace": "n", "name": "x", "properties": {}} for _ in range(1000)]}
    check = _median_us(lambda: browser.browser_events(plain), repeat)
    print(f"browser check, 1000 plain events: {check:8.1f} us")
    n = 0

    def cold() -> None:
        nonlocal n
        n += 1
        visitors.describe.__wrapped__(f"{UA} x{n}")

    print(f"User-Agent parse, uncached:       {_median_us(cold, repeat):8.1f} us")
    visitors.describe(UA)
    cached = _median_us(lambda: visitors.describe(UA), repeat)
    print(f"User-Agent parse, cached:         {cached:8.1f} us")
    ctx = {"library": {"name": "tidings.js"}, "userAgent": UA}

    def mark() -> None:
        events = [{"namespace": "n", "name": "pageView", "context": dict(ctx)} for _ in range(20)]
        asyncio.run(browser.mark_browser_events(_Request(), 1, events, 0))  # type: ignore[arg-type]

    loop_only = _median_us(lambda: asyncio.run(asyncio.sleep(0)), repeat)
    print(f"mark 20 browser events:           {_median_us(mark, repeat) - loop_only:8.1f} us")


class _Table:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def prop(self, key: str) -> str:
        return f"json_extract_string(properties, {prop_path(key)})"

    async def fetch(self, flt: EventFilter, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params)).fetchall()


def bench_query(pageviews: int, repeat: int) -> None:
    con = duckdb.connect(":memory:")
    start = 1_780_000_000_000_000
    # Generated inside DuckDB: a quarter as many visitors as page views, up to three sessions
    # each, 200 paths, 50 referrers, three browsers.
    con.execute(
        f"""CREATE TABLE events AS SELECT i AS id, 'pageView' AS name,
          {start} + CAST(random() * {30 * DAY - 1} AS BIGINT) AS ts,
          'v' || (i % {pageviews // 4 + 1}) AS person,
          's' || (i % {pageviews // 4 + 1}) || '-' || CAST(random() * 3 AS INT) AS session_id,
          '{{"path": "/p' || CAST(random() * 200 AS INT) || '", "browser": "'
            || ['Chrome', 'Firefox', 'Safari'][1 + CAST(random() * 2 AS INT)]
            || '", "os": "Linux", "device": "desktop", "referrer": "https://r'
            || CAST(random() * 50 AS INT) || '.example"}}' AS properties
        FROM range({pageviews}) t(i)"""
    )
    flt = EventFilter(from_us=start, to_us=start + 30 * DAY)
    query = web.WebQuery(flt=flt, tz=ZoneInfo("UTC"), granularity="day", limit=10)
    provider = _Table(con)
    asyncio.run(web.web_summary(provider, query))  # type: ignore[arg-type]
    summary_ms = _median_us(lambda: asyncio.run(web.web_summary(provider, query)), repeat) / 1000  # type: ignore[arg-type]
    plain_ms = (
        _median_us(
            lambda: con.execute("SELECT count(*), count(DISTINCT person) FROM events").fetchall(),
            repeat,
        )
        / 1000
    )
    print(f"web summary, {pageviews:,} page views over 30 days: {summary_ms:8.1f} ms")
    print(f"DuckDB count + distinct persons, same rows:       {plain_ms:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pageviews", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    bench_ingest(max(args.repeat, 200))
    bench_query(args.pageviews, args.repeat)


if __name__ == "__main__":
    main()
