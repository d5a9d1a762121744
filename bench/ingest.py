"""Durable ingest and aggregation through a real ``tidings serve`` on this machine.

Starts the server (one process, SQLite, synchronous=FULL), optionally prefills the database
first, then drives it from a separate process:

1. single-event requests, closed loop, 64 connections: peak acknowledged req/s
2. batches of 100 events, closed loop: peak events/s
3. each again open loop at half the measured peak (bench/loadgen.py, which charges a stalled
   server for the requests it delayed): p50/p99 at a sustainable load
4. aggregation: day buckets over two years of ``bench/metric`` (the prefilled stream)

Peak runs use ``wrk`` when it is installed (a C client leaves more of the 2 cores to the
server), else bench/loadgen.py. Server CPU per request is reported too: it is the figure to
compare before and after an optimisation, as it moves less with disk and neighbours.

    python bench/ingest.py --prefill 10000000      # the issue's setting (takes minutes)
    python bench/ingest.py --prefill 0 --duration 5 # a quick look

Results print as a table and are saved to bench/results/ingest-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Running, cpu_seconds, machine, start_server, stop_server  # noqa: E402
from prefill import prefill  # noqa: E402

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Write-Key"] = os.getenv("BENCH_KEY")
"""


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, key: str, body: str, connections: int, duration: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency"]
    done = subprocess.run(
        [*command, "-s", script.name, url],
        env={"BENCH_BODY": body, "BENCH_KEY": key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    ok = requests - (int(bad.group(1)) if bad else 0)
    events = body.count('"namespace"')
    return {
        "tool": "wrk",
        "requests": requests,
        "non_200": requests - ok,
        "errors": errors.group(0) if errors else 0,
        "req_s": ok / duration,
        "events_s": ok * events / duration,
        "p50_ms": _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
    }


def loadgen(
    url: str, key: str, body: str, connections: int, duration: float, rate: float | None = None
) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "loadgen.py"), "--url", url, "-H", f"X-Write-Key: {key}"]
    command += ["--body", body, "-c", str(connections), "-d", str(duration), "--json"]
    if rate:
        command += ["--rate", str(rate)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if not done.stdout:
        raise RuntimeError(f"loadgen failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measured(server: Running, run: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one load and add the server's CPU time per acknowledged request."""
    before = cpu_seconds(server.proc.pid)
    result: dict[str, Any] = run(*args, **kwargs)
    used = cpu_seconds(server.proc.pid) - before
    acknowledged = result["req_s"] * kwargs.get("duration", args[4])
    result["server_cpu_us_per_request"] = used / max(acknowledged, 1) * 1e6
    result["server_cpu_s"] = used
    return result


def time_aggregate(base: str, auth: tuple[str, str], query: str, runs: int = 20) -> dict[str, Any]:
    timings = []
    with httpx.Client(base_url=base, auth=auth, timeout=60) as client:
        for _ in range(runs + 2):
            began = time.perf_counter()
            answer = client.get(f"/api/v1/aggregate?{query}")
            timings.append((time.perf_counter() - began) * 1000)
            answer.raise_for_status()
        buckets = len(answer.json()["buckets"])
    timings = sorted(timings[2:])  # the first two warm the caches
    return {"buckets": buckets, "p50_ms": statistics.median(timings), "min_ms": timings[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(HERE / "results" / "data"))
    parser.add_argument("--prefill", type=int, default=0, help="events stored before measuring")
    parser.add_argument("--keep", action="store_true", help="reuse a prefilled data dir")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    data = Path(args.data_dir)
    if data.exists() and not args.keep:
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "prefill": args.prefill}
    if args.prefill and not (data / "prefilled").exists():
        print(f"prefilling {args.prefill:,} events ...", flush=True)
        report["prefill_events_s"] = prefill(f"sqlite:///{data / 'tidings.db'}", args.prefill)
        (data / "prefilled").write_text(str(args.prefill))
    peak = wrk if shutil.which("wrk") else loadgen
    server = start_server(data)
    try:
        url = f"{server.url}/api/v1/events"
        event = {"namespace": "bench", "name": "click", "value": 1, "properties": {"page": "/"}}
        single = json.dumps(event)
        batch = json.dumps({"events": [event] * 100})
        c, d = args.connections, args.duration
        runs: dict[str, Any] = {}
        runs["single_peak"] = measured(server, peak, url, server.key, single, c, d)
        runs["batch100_peak"] = measured(server, peak, url, server.key, batch, c, d)
        half = runs["single_peak"]["req_s"] / 2
        runs["single_half"] = measured(server, loadgen, url, server.key, single, c, d, half)
        half = runs["batch100_peak"]["req_s"] / 2
        runs["batch100_half"] = measured(server, loadgen, url, server.key, batch, c, d, half)
        report["ingest"] = runs
        auth = ("admin", server.password)
        window = "from=2024-11-01T00:00:00Z&to=2026-11-01T00:00:00Z"
        base = f"namespace=bench&name=metric&{window}"
        report["aggregate"] = {
            "day_2y_count": time_aggregate(server.url, auth, f"{base}&granularity=day&fn=count"),
            "day_2y_avg": time_aggregate(server.url, auth, f"{base}&granularity=day&fn=avg"),
            "month_2y_sum": time_aggregate(server.url, auth, f"{base}&granularity=month&fn=sum"),
            "day_2y_count_berlin": time_aggregate(
                server.url, auth, f"{base}&granularity=day&fn=count&tz=Europe/Berlin"
            ),
        }
        report["db_bytes"] = sum(p.stat().st_size for p in data.glob("tidings.db*"))
    finally:
        stop_server(server)
    print_report(report)
    out = HERE / "results" / f"ingest-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")


def print_report(report: dict[str, Any]) -> None:
    print(f"\nmachine: {report['machine']}\nprefilled events: {report['prefill']:,}")
    for name, run in report["ingest"].items():
        offered = f" offered {run['target_rate']:,.0f}/s" if run.get("target_rate") else ""
        print(
            f"  {name:14} {run['req_s']:>8,.0f} req/s {run['events_s']:>9,.0f} events/s "
            f"p50 {run['p50_ms']:6.2f} ms p99 {run['p99_ms']:7.2f} ms "
            f"cpu {run['server_cpu_us_per_request']:6.0f} us/req "
            f"non-200 {run['non_200']} errors {run['errors']}{offered}"
        )
    for name, timing in report["aggregate"].items():
        print(
            f"  aggregate {name:20} {timing['buckets']:4} buckets "
            f"p50 {timing['p50_ms']:7.2f} ms min {timing['min_ms']:7.2f} ms"
        )
    print(f"  database size: {report['db_bytes'] / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
