"""The Python SDK: what ``Client.track`` costs the caller, and end-to-end delivery.

1. caller cost: ``track`` calls per second and median/p99 microseconds per call, with the
   sender thread posting to a real ``tidings serve`` in the background (what an app pays)
2. delivery: N events tracked as fast as possible, then ``flush``: events/s until every one
   is acknowledged (committed) by the server, and the events the server then holds

    python bench/sdk.py --events 200000

Results print and are saved to bench/results/sdk-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import machine, start_server, stop_server  # noqa: E402
from tidings.sdk import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--flush-at", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            client = Client(
                server.url, server.key, flush_at=args.flush_at, max_queue_size=args.events
            )
            per_call: list[float] = []
            started = time.perf_counter()
            for i in range(args.events):
                t0 = time.perf_counter_ns()
                client.track("bench", "sdk", i, {"i": i, "plan": "pro"}, user_id=f"u{i % 100}")
                per_call.append((time.perf_counter_ns() - t0) / 1000)
            tracked = time.perf_counter() - started
            assert client.flush(timeout=600)
            delivered = time.perf_counter() - started
            client.shutdown()
            stored = httpx.get(
                f"{server.url}/api/v1/aggregate",
                params={"namespace": "bench", "name": "sdk", "fn": "count", "granularity": "total"},
                auth=("admin", server.password),
                timeout=60,
            ).json()["buckets"][0]["value"]
        finally:
            stop_server(server)
    per_call.sort()
    report = {
        "machine": machine(),
        "events": args.events,
        "flush_at": args.flush_at,
        "track_calls_per_s": round(args.events / tracked),
        "track_us_p50": round(statistics.median(per_call), 1),
        "track_us_p99": round(per_call[int(len(per_call) * 0.99)], 1),
        "delivered_events_per_s": round(args.events / delivered),
        "dropped": client.dropped,
        "stored": stored,
    }
    for key, value in report.items():
        print(f"{key:>24}: {value}")
    out = HERE / "results" / f"sdk-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
