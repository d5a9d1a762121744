"""The scale-out run of bench/ingest.py (``--scale-out``): 1, 2 and 4 Tidings processes on one
PostgreSQL database with the Redis bus, driven by wrk.

For each process count and payload: acknowledged events/s and p99 (wrk), and the CPU seconds
per event of Tidings (the server's process tree), of PostgreSQL (every ``postgres`` process on
the box: on a shared box that includes other clients' work, so it is an upper bound) and of
the load generator (wrk, from the children's resource usage). With ``--pin`` the server runs on
the first half of the cores and wrk on the rest (``taskset``), so the two do not trade places
on one core; on 2 cores that is one core each.

CPU per event is what projects to a bigger machine: events/s on N cores is about
N / (Tidings + PostgreSQL CPU per event) while the database is not the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import cpu_seconds, load_average, machine, start_server, stop_server

PROCESSES = (1, 2, 4)
REDIS_URL = os.environ.get("TIDINGS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_cpu() -> float:
    """CPU seconds used so far by every process named ``postgres`` (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if name != "postgres":
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _cores() -> tuple[str, str]:
    """(server cores, load generator cores) for taskset."""
    count = os.cpu_count() or 1
    if count < 2:
        return "0", "0"
    half = count // 2
    return f"0-{half - 1}", f"{half}-{count - 1}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    postgres_url: str,
    payloads: list[tuple[str, str, str, int, int]],
    duration: float,
    pin: bool,
    wrk: Any,
    postgres_schema: Any,
) -> dict[str, Any]:
    """``payloads``: (name, path, body, events per request, connections); ``wrk`` and
    ``postgres_schema`` are bench/ingest.py's."""
    server_cores, load_cores = _cores()
    out: dict[str, Any] = {"pinned": pin, "server_cores": server_cores, "wrk_cores": load_cores}
    for processes in PROCESSES:
        with tempfile.TemporaryDirectory(prefix="tidings-scale-") as tmp:
            with postgres_schema(postgres_url) as url:
                env = {"TIDINGS_BUS_URL": REDIS_URL}
                extra = ["--workers", str(processes)] if processes > 1 else []
                server = start_server(Path(tmp), *extra, env=env, database_url=url)
                try:
                    if pin and shutil.which("taskset"):
                        subprocess.run(
                            ["taskset", "-a", "-p", "-c", server_cores, str(server.proc.pid)],
                            check=False,
                            capture_output=True,
                        )
                    for name, path, body, events, connections in payloads:
                        tidings0, pg0, wrk0 = (
                            cpu_seconds(server.proc.pid),
                            postgres_cpu(),
                            _children_cpu(),
                        )
                        result = wrk(
                            f"{server.url}{path}",
                            server.key,
                            body,
                            events,
                            connections,
                            duration,
                            load_cores if pin else None,
                        )
                        stored = max(result["events_s"] * duration, 1)
                        result["tidings_cpu_us_per_event"] = (
                            (cpu_seconds(server.proc.pid) - tidings0) / stored * 1e6
                        )
                        result["postgres_cpu_us_per_event"] = (postgres_cpu() - pg0) / stored * 1e6
                        result["wrk_cpu_us_per_event"] = (_children_cpu() - wrk0) / stored * 1e6
                        result["load_average"] = load_average()
                        out[f"{processes}p/{name}"] = result
                        print(f"  scale-out {processes}p {name:10} {_line(result)}", flush=True)
                finally:
                    stop_server(server)
    return out


def _line(r: dict[str, Any]) -> str:
    return (
        f"{r['events_s']:>9,.0f} events/s p99 {r['p99_ms']:8.2f} ms  CPU us/event: "
        f"tidings {r['tidings_cpu_us_per_event']:6.1f} postgres "
        f"{r['postgres_cpu_us_per_event']:6.1f} wrk {r['wrk_cpu_us_per_event']:5.1f}  "
        f"non-200 {r['non_200']} load {r['load_average']}"
    )


def main(
    args: argparse.Namespace, payload: Any, connections: dict[str, int], wrk: Any, schema: Any
) -> dict[str, Any]:
    """bench/ingest.py ``--scale-out``: native payloads only (the key goes in a header)."""
    payloads = []
    for name in (p for p in args.payloads.split(",") if p and not p.startswith("segment")):
        path, body, events = payload(name, "")
        payloads.append((name, path, body, events, args.connections or connections[name]))
    report: dict[str, Any] = {"machine": machine(), "load_average_start": load_average()}
    report["scale_out"] = run(args.postgres_url, payloads, args.duration, args.pin, wrk, schema)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    out = results / f"scale-out-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")
    return report
