"""Durable ingest through real servers on this machine, beside the Flask baseline.

For each target (Tidings on SQLite or PostgreSQL, one process or ``--workers 2``, and the
baselines: bench/baseline_flask.py under gunicorn sync workers, in WAL mode like Tidings and in
SQLite's default rollback-journal mode like the original servers) it starts the server, times its
start-up (spawn until /healthz answers) and idle RSS, then drives it from a separate process:

1. each payload closed loop (64 connections for single events, 16 for batches of 100, 4 for
   batches of 1,000): peak acknowledged req/s and events/s, and the
   server's RSS at its highest during the run
2. each payload again open loop at 50% and 90% of that peak (bench/loadgen.py, which charges a
   stalled server for the requests it delayed): p50/p99 at a sustainable load

Payloads: one event (native ``/api/v1/events``), batches of 100 and 1,000 (native), and a
Segment ``/v1/batch`` of 100. The baseline takes single events only (one row per request).
Every run lasts ``--duration`` seconds (plus a second of warm-up), so a full run is bounded:
about (targets x payloads x 3) runs.

Peak runs use ``wrk`` when it is installed (a C client leaves more of the 2 cores to the
server), else bench/loadgen.py. Server CPU per request is reported too: it moves less with
disk and neighbours than req/s, so it is the figure to compare before and after a change.

    python bench/ingest.py                                   # everything (about 10 minutes)
    python bench/ingest.py --quick                           # SQLite + baseline, 3 s runs
    python bench/ingest.py --targets sqlite,baseline --payloads single
    python bench/ingest.py --scale-out --pin --payloads single,batch1000   # 1, 2, 4 processes

Results print as a table and are saved to bench/results/ingest-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    Running,
    cpu_seconds,
    load_average,
    machine,
    rss_mb,
    start_baseline,
    start_server,
    stop_server,
)

POSTGRES_URL = os.environ.get(
    "TIDINGS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TARGETS = ("sqlite", "sqlite-w2", "postgres", "postgres-w2", "baseline", "baseline-rollback")
#: The baseline's SQLite journal per baseline target: "baseline" is as durable as Tidings
#: (WAL, synchronous=FULL); "baseline-rollback" keeps SQLite's default rollback journal, as
#: the original servers ran (their ORM never switched it).
BASELINES = {"baseline": "wal", "baseline-rollback": "delete"}
PAYLOADS = ("single", "batch100", "batch1000", "segment100")
#: Connections per payload: about the same number of events in flight for each, so a batch
#: run measures throughput, not how long 64 queued batches of 1,000 take to drain.
CONNECTIONS = {"single": 64, "batch100": 16, "batch1000": 4, "segment100": 16}
EVENT = {"namespace": "bench", "name": "click", "value": 1, "properties": {"page": "/"}}
SEGMENT = {"type": "track", "event": "click", "userId": "u1", "properties": {"page": "/"}}

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_KEY")
if key ~= "" then wrk.headers["X-Write-Key"] = key end
"""


def payload(name: str, key: str) -> tuple[str, str, int]:
    """(path, body, events per request) of a payload."""
    if name == "single":
        return "/api/v1/events", json.dumps(EVENT), 1
    if name.startswith("batch"):
        count = int(name[5:])
        return "/api/v1/events", json.dumps({"events": [EVENT] * count}), count
    count = int(name[7:])
    return "/v1/batch", json.dumps({"batch": [SEGMENT] * count, "writeKey": key}), count


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        return float("nan")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60e3, "h": 3600e3}[unit]


def _group(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else ""


def wrk(
    url: str,
    key: str,
    body: str,
    events: int,
    connections: int,
    duration: float,
    cores: str | None = None,
) -> Any:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    # A long timeout: batches of 1,000 on a busy box take seconds, and wrk's default (2 s)
    # would drop them from the count instead of charging their latency.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "30s"]
    command += ["--latency"]
    if cores is not None:  # the scale-out run keeps the load generator off the server's cores
        command = ["taskset", "-c", cores, *command]
    done = subprocess.run(
        [*command, "-s", script.name, url],
        env={"BENCH_BODY": body, "BENCH_KEY": key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    ok = requests - (int(bad.group(1)) if bad else 0)
    return {
        "tool": "wrk",
        "requests": requests,
        "non_200": requests - ok,
        "errors": errors.group(0) if errors else 0,
        "req_s": ok / duration,
        "events_s": ok * events / duration,
        # Anchored: "72.50%" in the Req/Sec stdev line must not be read as the 50% line.
        "p50_ms": _ms(_group(r"(?m)^\s+50%\s+(\S+)", out)),
        "p99_ms": _ms(_group(r"(?m)^\s+99%\s+(\S+)", out)),
    }


def loadgen(
    url: str,
    key: str,
    body: str,
    _events: int,
    connections: int,
    duration: float,
    rate: float | None = None,
) -> Any:
    command = [sys.executable, str(HERE / "loadgen.py"), "--url", url, "--body", body]
    if key:
        command += ["-H", f"X-Write-Key: {key}"]
    command += ["-c", str(connections), "-d", str(duration), "--json"]
    if rate:
        command += ["--rate", str(rate)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if not done.stdout:
        raise RuntimeError(f"loadgen failed: {done.stderr}")
    return json.loads(done.stdout)


@contextmanager
def peak_rss(pid: int) -> Iterator[list[float]]:
    """Sample the server's RSS every 200 ms while the block runs; yields [highest]."""
    highest = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            highest[0] = max(highest[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield highest
    finally:
        stop.set()
        sampler.join()


def measured(server: Running, run: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """One load run, with the server's CPU time per acknowledged request, its highest RSS
    and the load average when it ended."""
    before = cpu_seconds(server.proc.pid)
    with peak_rss(server.proc.pid) as highest:
        result: dict[str, Any] = run(*args)
    used = cpu_seconds(server.proc.pid) - before
    acknowledged = result["req_s"] * args[5]
    result["server_cpu_us_per_request"] = used / max(acknowledged, 1) * 1e6
    result["rss_mb"] = highest[0]
    result["load_average"] = load_average()
    return result


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A fresh schema on ``base`` for one target, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def started(target: str, data: Path, postgres_url: str) -> Iterator[Running]:
    workers = ["--workers", "2"] if target.endswith("-w2") else []
    if target in BASELINES:
        server = start_baseline(data, 2 * (os.cpu_count() or 1) + 1, BASELINES[target])
        try:
            yield server
        finally:
            stop_server(server)
        return
    if target.startswith("postgres"):
        with postgres_schema(postgres_url) as url:
            server = start_server(data, *workers, database_url=url)
            try:
                yield server
            finally:
                stop_server(server)
        return
    server = start_server(data, *workers)
    try:
        yield server
    finally:
        stop_server(server)


def bench_target(
    target: str, payloads: list[str], args: argparse.Namespace, root: Path
) -> dict[str, Any]:
    peak = wrk if shutil.which("wrk") and not args.no_wrk else loadgen
    data = root / target
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    out: dict[str, Any] = {}
    with started(target, data, args.postgres_url) as server:
        time.sleep(1)  # let start-up work settle before reading idle memory
        out["startup_s"] = server.startup_s
        out["idle_rss_mb"] = rss_mb(server.proc.pid)
        runs: dict[str, Any] = {}
        for name in payloads if target not in BASELINES else ["single"]:
            path, body, events = payload(name, server.key)
            url = f"{server.url}{'/events' if target in BASELINES else path}"
            c, d = args.connections or CONNECTIONS[name], args.duration
            try:
                top = measured(server, peak, url, server.key, body, events, c, d)
            except Exception as exc:  # noqa: BLE001 - record the failure, go on
                print(f"  {target:12} {name:11} peak failed: {exc}", flush=True)
                continue
            runs[f"{name}_peak"] = top
            print(f"  {target:12} {name:11} peak  {_line(top)}", flush=True)
            for fraction in args.fractions:
                rate = top["req_s"] * fraction
                if rate < 1:
                    continue
                try:
                    run = measured(server, loadgen, url, server.key, body, events, c, d, rate)
                except Exception as exc:  # noqa: BLE001
                    print(f"  {target:12} {name:11} {fraction:4.0%} failed: {exc}", flush=True)
                    continue
                runs[f"{name}_at{round(fraction * 100)}"] = run
                print(f"  {target:12} {name:11} {fraction:4.0%}  {_line(run)}", flush=True)
        out["runs"] = runs
        out["rss_after_mb"] = rss_mb(server.proc.pid)
    return out


def _line(run: dict[str, Any]) -> str:
    run = {k: (float("nan") if v is None else v) for k, v in run.items()}
    return (
        f"{run['req_s']:>8,.0f} req/s {run['events_s']:>9,.0f} events/s "
        f"p50 {run['p50_ms']:7.2f} ms p99 {run['p99_ms']:8.2f} ms "
        f"cpu {run['server_cpu_us_per_request']:6.0f} us/req rss {run['rss_mb']:4.0f} MB "
        f"non-200 {run['non_200']} errors {run['errors']} load {run['load_average']}"
    )


def ratios(report: dict[str, Any], baseline: str = "baseline") -> dict[str, float]:
    """Each Tidings peak (events/s) over a baseline's peak (single-event req/s)."""
    base = report["targets"].get(baseline, {}).get("runs", {}).get("single_peak")
    if not base or not base["req_s"]:
        return {}
    out = {}
    for target, result in report["targets"].items():
        if target in BASELINES:
            continue
        for name, run in result["runs"].items():
            if name.endswith("_peak"):
                out[f"{target}/{name}"] = run["events_s"] / base["events_s"]
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"any of {TARGETS}")
    parser.add_argument("--payloads", default=",".join(PAYLOADS), help=f"any of {PAYLOADS}")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument(
        "--connections", type=int, help="default: 64 for single events, fewer for batches"
    )
    parser.add_argument("--fractions", default="0.5,0.9", help="of peak, for latency runs")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--data-dir", help="default: a temporary directory")
    parser.add_argument("--no-wrk", action="store_true", help="peaks with loadgen.py too")
    parser.add_argument("--quick", action="store_true", help="SQLite + baseline, 3 s runs")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="only the scale-out run: 1, 2, 4 processes on PostgreSQL + Redis (bench/scaleout.py)",
    )
    parser.add_argument("--pin", action="store_true", help="scale-out: taskset server and wrk")
    args = parser.parse_args(argv)
    if args.scale_out:
        import scaleout

        return scaleout.main(args, payload, CONNECTIONS, wrk, postgres_schema)
    targets = [t for t in args.targets.split(",") if t]
    payloads = [p for p in args.payloads.split(",") if p]
    if args.quick:
        targets = [t for t in targets if t in ("sqlite", *BASELINES)]
        payloads = [p for p in payloads if p in ("single", "batch100")]
        args.duration = min(args.duration, 3.0)
    args.fractions = [float(f) for f in args.fractions.split(",") if f]
    for name in (*targets, *payloads):
        if name not in (*TARGETS, *PAYLOADS):
            parser.error(f"unknown target or payload {name!r}")
    report: dict[str, Any] = {"machine": machine(), "load_average_start": load_average()}
    report["peak_tool"] = "wrk" if shutil.which("wrk") and not args.no_wrk else "loadgen"
    report["duration_s"] = args.duration
    report["targets"] = {}
    with tempfile.TemporaryDirectory(prefix="tidings-bench-") as tmp:
        root = Path(args.data_dir or tmp)
        for target in targets:
            print(f"{target}: starting", flush=True)
            try:
                report["targets"][target] = bench_target(target, payloads, args, root)
            except Exception as exc:  # noqa: BLE001 - report a target that cannot run, go on
                print(f"  {target}: skipped ({exc})", flush=True)
                report["targets"][target] = {"skipped": str(exc), "runs": {}}
    report["load_average_end"] = load_average()
    report["ratios_to_baseline"] = ratios(report)
    report["ratios_to_rollback_baseline"] = ratios(report, "baseline-rollback")
    print_report(report)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"ingest-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"\nmachine: {report['machine']}")
    print(f"load average: {report['load_average_start']} -> {report['load_average_end']}")
    for target, result in report["targets"].items():
        if "skipped" in result:
            print(f"  {target:12} skipped: {result['skipped']}")
            continue
        print(
            f"  {target:12} start-up {result['startup_s']:.2f} s, idle RSS "
            f"{result['idle_rss_mb']:.0f} MB, after load {result['rss_after_mb']:.0f} MB"
        )
        for name, run in result["runs"].items():
            print(f"    {name:16} {_line(run)}")
    for name, ratio in report["ratios_to_baseline"].items():
        print(f"  x baseline  {name:32} {ratio:6.1f}x")
    for name, ratio in report.get("ratios_to_rollback_baseline", {}).items():
        print(f"  x baseline-rollback  {name:32} {ratio:6.1f}x")


if __name__ == "__main__":
    main()
