"""Which ASGI server for plain HTTP/1.1 ingest: uvicorn (``tidings serve``) or Hypercorn
(the server ``tidings serve --ssl-certfile`` uses for TLS and HTTP/2).

Starts each in turn on a fresh data dir (SQLite), drives single-event ingest with wrk
(64 connections) for ``--duration`` seconds, ``--rounds`` times alternating, and prints the
acknowledged requests per second and the server CPU per request of each run.

    python bench/servers.py --duration 8 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PASSWORD, _free_port, cpu_seconds, start_server, stop_server, wait_healthy
from ingest import payload, wrk


def hypercorn(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {**os.environ, "TIDINGS_DATA_DIR": str(data_dir), "TIDINGS_ADMIN_PASSWORD": PASSWORD,
           "TIDINGS_LOG_LEVEL": "warning"}  # fmt: skip
    made = subprocess.run(
        [sys.executable, "-m", "tidings", "source", "create", "bench", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = json.loads(made.stdout)["write_key"]
    port = _free_port()
    command = [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}",
               "--worker-class", "uvloop", "tidings.asgi:app"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, time.perf_counter(), "/readyz")
    return proc, url, key


def measure(url: str, key: str, pid: int, duration: float) -> dict[str, float]:
    path, body, events = payload("single", key)
    before = cpu_seconds(pid)
    result = wrk(url + path, key, body, events, 64, duration)
    cpu = cpu_seconds(pid) - before
    return {
        "req_s": round(result["req_s"]),
        "p99_ms": result["p99_ms"],
        "server_cpu_us_per_req": round(1e6 * cpu / max(1, result["requests"]), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"uvicorn": [], "hypercorn": []}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            server = start_server(Path(tmp))
            try:
                results["uvicorn"].append(
                    measure(server.url, server.key, server.proc.pid, args.duration)
                )
            finally:
                stop_server(server)
        with tempfile.TemporaryDirectory() as tmp:
            proc, url, key = hypercorn(Path(tmp))
            try:
                results["hypercorn"].append(measure(url, key, proc.pid, args.duration))
            finally:
                proc.terminate()
                proc.wait(60)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
