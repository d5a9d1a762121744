"""The analytics tier at scale: breakdowns and property filters over two years of events,
Tidings over HTTP beside DuckDB on a JSON column of the same rows, in the same run.

1. N page-view-like events (default 10M; ``--events 2000000`` for a quick run) over two
   years go straight into SQLite through ``storage.insert_batch``, the writer's own path
   (raw rows and every rollup tier per transaction, multi-row ``VALUES`` statements from
   storage/bulk_insert.py), with no HTTP. 90% are ``site/pageView``; each has 3-5
   properties: ``path`` (200 values), ``country`` (50), ``browser`` (6), and sometimes
   ``plan`` (3) and ``ref`` (20). A third carry a ``user_id`` (50,000), the rest an
   ``anonymous_id`` (200,000).
2. The tier is built from them (``tidings analytics rebuild``'s code) and timed.
3. The same rows go into a second DuckDB file as typed fields plus the properties as one JSON
   column: the "DuckDB, JSON column" reference. With ``--layouts``, the property layouts the
   tier could use (JSON only, MAP only, promoted columns + JSON) are measured too.
4. A server with the tier starts; each question runs over HTTP (warm-up, then the median of
   ``--repeat``), and the same question runs on the JSON-column DuckDB file.
5. Bytes per event of each store, and the server's RSS idle and at its highest.
6. Section 8 of the API: ``--web-pageviews`` more ``site/pageView`` events of the snippet's
   shape (sessions of 1-10 views; ``path``, ``referrer``, ``utm_source``, ``browser``, ``os``,
   ``device``, ``screen_width``) over the last 30 days, then ``/api/v1/web``, a 3-step
   ``/api/v1/funnel`` and an 8-week ``/api/v1/retention`` over those 30 days over HTTP, beside
   DuckDB running the same statements (``tidings.core.product``) on the JSON-column copy.

    python bench/analytics.py --events 2000000
    python bench/analytics.py --events 2000000 --layouts --data-dir /tmp/analytics-bench

Results print as a table and are saved to bench/results/analytics-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import machine, rss_mb, start_server, stop_server  # noqa: E402
from product_questions import WEB_HTTP, JsonEvents, fill_web, product_times  # noqa: E402
from tidings.core.analytics.tier import rebuild, tier_path  # noqa: E402
from tidings.core.auth import new_secret, secret_hash  # noqa: E402
from tidings.model.events import EventDraft  # noqa: E402
from tidings.storage import open_storage  # noqa: E402

TWO_YEARS_US = 730 * 24 * 3600 * 1_000_000
START = datetime(2024, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
MONTH = timedelta(days=30)
BATCH = 20_000
BROWSERS = ["chrome", "firefox", "safari", "edge", "opera", "samsung"]
MEMORY = "512MB"
THREADS = 2


def prefill(url: str, total: int, seed: int = 11) -> float:
    """Insert ``total`` events; returns events/s."""
    storage = open_storage(url)
    storage.startup()
    source = storage.create_source("analytics-bench", secret_hash(new_secret("wk_")), None)
    rng = random.Random(seed)
    start_us = int(START.timestamp() * 1_000_000)
    step = TWO_YEARS_US / max(total, 1)
    paths = [f"/page/{i:03d}" for i in range(200)]
    countries = [f"C{i:02d}" for i in range(50)]
    began = time.perf_counter()
    done = 0
    while done < total:
        count = min(BATCH, total - done)
        drafts = []
        for i in range(done, done + count):
            ts = start_us + int(i * step) + rng.randrange(1_000_000)
            props: dict[str, object] = {
                # Skewed like real traffic: a few pages and countries get most views.
                "path": paths[min(int(rng.paretovariate(1.2)) - 1, 199)],
                "country": countries[min(int(rng.expovariate(0.12)), 49)],
                "browser": rng.choice(BROWSERS),
            }
            if rng.random() < 0.5:
                props["plan"] = rng.choice(["free", "pro", "team"])
            if rng.random() < 0.3:
                props["ref"] = f"r{rng.randrange(20)}"
            user = f"u{rng.randrange(50_000)}" if rng.random() < 0.33 else None
            drafts.append(
                EventDraft(
                    source_id=source.id,
                    namespace="site",
                    name="pageView" if rng.random() < 0.9 else f"other{rng.randrange(5)}",
                    timestamp=ts,
                    received_at=ts,
                    value=float(rng.randrange(1, 3000)),
                    properties=json.dumps(props, separators=(",", ":")),
                    context=None,
                    message_id=None,
                    user_id=user,
                    anonymous_id=None if user else f"a{rng.randrange(200_000)}",
                    session_id=None,
                )
            )
        storage.insert_batch(drafts)
        done += count
        if done % 1_000_000 < BATCH:
            rate = done / (time.perf_counter() - began)
            print(f"  prefill: {done:,} events ({rate:,.0f}/s)", flush=True)
    rate = total / (time.perf_counter() - began)
    storage.shutdown()
    return rate


def build_tier(url: str, data_dir: Path) -> dict[str, Any]:
    storage = open_storage(url)
    storage.startup()
    began = time.perf_counter()
    done = rebuild(storage, str(data_dir), MEMORY, THREADS)
    seconds = time.perf_counter() - began
    storage.shutdown()
    return {"events": done, "seconds": round(seconds, 1), "events_per_s": round(done / seconds)}


_FIELDS = "id, source, namespace, name, ts, received_at, value, user_id, anonymous_id, session_id"


def build_json_copy(tier_file: str, path: Path) -> None:
    """The reference: the tier's rows as typed fields plus one JSON column."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path), config={"memory_limit": MEMORY, "threads": THREADS})
    con.execute(f"ATTACH '{tier_file}' AS tier (READ_ONLY)")
    con.execute(
        f"CREATE TABLE events AS SELECT {_FIELDS}, properties::JSON AS properties "
        "FROM tier.tier_events ORDER BY id"
    )
    con.execute("DETACH tier")
    con.execute("CHECKPOINT")
    con.close()


LAYOUTS = {
    "json": f"SELECT {_FIELDS}, properties::JSON AS properties FROM tier.tier_events",
    "map": (
        f"SELECT {_FIELDS}, CAST(json_transform(properties, '\"MAP(VARCHAR, VARCHAR)\"') "
        "AS MAP(VARCHAR, VARCHAR)) AS props FROM tier.tier_events"
    ),
    "promoted+json": "SELECT * FROM tier.tier_events",
}


def prop_sql(layout: str, key: str, promoted: dict[str, str]) -> str:
    if layout == "json":
        return f"json_extract_string(properties, '$.{key}')"
    if layout == "map":
        return f"props['{key}']"
    return promoted.get(key) or f"json_extract_string(properties, '$.{key}')"


def questions(prop: Callable[[str], str], day0: int) -> dict[str, str]:
    person = "coalesce(nullif(user_id, ''), 'anonymous:' || nullif(anonymous_id, ''))"
    month = "date_trunc('month', make_timestamp(ts))"
    return {
        "breakdown": (
            f"SELECT {prop('path')} g, count(*) n FROM events WHERE name = 'pageView' "
            "GROUP BY g ORDER BY n DESC LIMIT 50"
        ),
        "month_filter": (
            f"SELECT {month} m, count(*) FROM events WHERE name = 'pageView' "
            f"AND {prop('country')} = 'C07' GROUP BY m"
        ),
        "distinct_by_prop": (
            f"SELECT {prop('browser')} g, count(DISTINCT {person}) FROM events "
            "WHERE name = 'pageView' GROUP BY g"
        ),
        "day_buckets": (
            f"SELECT (ts - {day0}) // 86400000000 d, count(*) FROM events "
            "WHERE name = 'pageView' GROUP BY d"
        ),
    }


HTTP = {
    "breakdown": "granularity=total&group_by=prop.path&limit=50",
    "month_filter": "granularity=month&prop.country=C07",
    "distinct_by_prop": "granularity=total&group_by=prop.browser&fn=distinct_users",
    "day_buckets": "granularity=day",
}


def timed(run: Callable[[], Any], repeat: int) -> float:
    run()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(samples), 1)


def duckdb_times(path: Path, layout: str, promoted: dict[str, str], repeat: int) -> dict[str, Any]:
    con = duckdb.connect(
        str(path), read_only=True, config={"memory_limit": MEMORY, "threads": THREADS}
    )
    day0 = int(START.timestamp() * 1_000_000)
    out = {
        name: timed(lambda sql=sql: con.execute(sql).fetchall(), repeat)
        for name, sql in questions(lambda k: prop_sql(layout, k, promoted), day0).items()
    }
    con.close()
    return out


def layout_sizes(tier_file: str, data_dir: Path, total: int, repeat: int) -> dict[str, Any]:
    src = duckdb.connect(tier_file, read_only=True)
    promoted = dict(src.execute("SELECT key, col FROM tier_columns").fetchall())
    src.close()
    report: dict[str, Any] = {}
    for name, select in LAYOUTS.items():
        path = data_dir / f"layout-{name}.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path), config={"memory_limit": MEMORY, "threads": THREADS})
        con.execute(f"ATTACH '{tier_file}' AS tier (READ_ONLY)")
        con.execute(f"CREATE TABLE events AS {select} ORDER BY id")
        con.execute("DETACH tier")
        con.execute("CHECKPOINT")
        con.close()
        report[name] = {
            "bytes_per_event": round(path.stat().st_size / total, 1),
            "ms": duckdb_times(path, name, promoted, repeat),
        }
        print(f"  layout {name}: {report[name]}", flush=True)
    return report


def http_times(url: str, auth: tuple[str, str], repeat: int) -> dict[str, Any]:
    window = f"from={START.isoformat()}&to={END.isoformat()}".replace("+00:00", "Z")
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, auth=auth, timeout=600) as client:
        for name, query in HTTP.items():
            path = f"/api/v1/aggregate?namespace=site&name=pageView&{window}&{query}"

            def run(path: str = path) -> None:
                answer = client.get(path)
                answer.raise_for_status()

            out[name] = timed(run, repeat)
    return out


def web_http_times(url: str, auth: tuple[str, str], repeat: int) -> dict[str, Any]:
    month = f"from={(END - MONTH).isoformat()}&to={END.isoformat()}".replace("+00:00", "Z")
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, auth=auth, timeout=600) as client:
        for name, query in WEB_HTTP.items():

            def run(path: str = f"{query}&{month}") -> None:
                client.get(path).raise_for_status()

            out[name] = timed(run, repeat)
    return out


def peak_rss_mb(pid: int) -> float:
    """The process's highest RSS so far (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--data-dir", default="bench/results/analytics-data")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layouts", action="store_true", help="measure property layouts too")
    parser.add_argument("--reuse", action="store_true", help="keep an existing prefilled database")
    parser.add_argument("--web-pageviews", type=int, default=300_000)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "tidings.db"
    url = f"sqlite:///{db}"
    report: dict[str, Any] = {"machine": machine(), "events": args.events}
    if not (args.reuse and db.exists()):
        for stale in data_dir.iterdir():
            if stale.is_file():
                stale.unlink()
        # The snippet's page views go in first, as on a site that tracks mostly page views,
        # so the tier promotes their keys to columns (ids need not follow ``ts``).
        fill_web(url, args.web_pageviews, END)
        report["prefill_events_per_s"] = round(prefill(url, args.events))
    report["tier_build"] = build_tier(url, data_dir)
    report["events"] += args.web_pageviews
    print(f"  tier built: {report['tier_build']}", flush=True)
    tier_file = tier_path(str(data_dir))
    json_file = data_dir / "json-copy.duckdb"
    build_json_copy(tier_file, json_file)
    report["bytes_per_event"] = {
        "sqlite": round(
            sum(p.stat().st_size for p in data_dir.glob("tidings.db*")) / report["events"], 1
        ),
        "tier": round(Path(tier_file).stat().st_size / report["events"], 1),
        "duckdb_json": round(json_file.stat().st_size / report["events"], 1),
    }
    if args.layouts:
        report["layouts"] = layout_sizes(tier_file, data_dir, report["events"], args.repeat)
    report["duckdb_json_ms"] = duckdb_times(json_file, "json", {}, args.repeat)
    report["duckdb_json_ms"].update(
        asyncio.run(product_times(JsonEvents(json_file, MEMORY, THREADS), END, args.repeat))
    )
    server = start_server(
        data_dir,
        env={
            "TIDINGS_ANALYTICS": "on",
            "TIDINGS_ANALYTICS_MEMORY": MEMORY,
            "TIDINGS_ANALYTICS_THREADS": str(THREADS),
        },
    )
    try:
        report["server_idle_rss_mb"] = round(rss_mb(server.proc.pid), 1)
        report["tidings_http_ms"] = http_times(server.url, ("admin", server.password), args.repeat)
        report["tidings_http_ms"].update(
            web_http_times(server.url, ("admin", server.password), args.repeat)
        )
        report["server_rss_after_mb"] = round(rss_mb(server.proc.pid), 1)
        report["server_peak_rss_mb"] = peak_rss_mb(server.proc.pid)
    finally:
        stop_server(server)
    print_table(report)
    out = HERE / "results" / f"analytics-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")
    return report


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['events']:,} events; {report['machine']}")
    print(f"{'question':<20}{'Tidings HTTP ms':>18}{'DuckDB JSON ms':>18}")
    for name in [*HTTP, *WEB_HTTP]:
        print(
            f"{name:<20}{report['tidings_http_ms'][name]:>18}{report['duckdb_json_ms'][name]:>18}"
        )
    print(f"bytes/event: {report['bytes_per_event']}")
    print(
        f"server RSS idle {report['server_idle_rss_mb']} MB, after "
        f"{report['server_rss_after_mb']} MB, peak {report['server_peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
