"""Segment ``/v1/batch`` of 100 messages, each with a fresh UUIDv4 ``messageId``, with millions
of UUIDv4 ids already stored in the same source.

The messages are shaped as segment-analytics-python sends them (``messageId``, ISO
``timestamp``, ``context.library``, ``integrations``, ``anonymousId: null``, ``sentAt``). wrk
builds every request in Lua with new ids, so nothing repeats. The stored ids go in through the
storage engine's ``insert_batch`` (the writer's path, no HTTP), received either all today (the
worst case for a windowed de-duplication: the whole table is today's) or spread over the
``--spread-days`` days before now (steady state: a day's share is today's).

Run it beside ``python bench/ceilings.py server`` (uvicorn's hello-world) in the same minutes:
on a shared box only the ratio between the two travels.

    python bench/segment_ids.py --engine sqlite --stored 2000000 --spread-days 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import cpu_seconds, load_average, machine, start_server, stop_server  # noqa: E402
from ingest import POSTGRES_URL, _group, _ms, postgres_schema  # noqa: E402
from tidings.core.auth import secret_hash  # noqa: E402
from tidings.model.events import EventDraft  # noqa: E402
from tidings.storage import open_storage  # noqa: E402

DAY_US = 86_400_000_000
PREFILL_BATCH = 20_000

# One request per call: 100 messages, every id new. math.random is seeded per thread.
LUA = r"""
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local key = os.getenv("BENCH_KEY")
local n = tonumber(os.getenv("BENCH_MESSAGES"))
local function uuid4()
  return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
    math.random(0, 65535), math.random(0, 65535), math.random(0, 65535),
    math.random(0, 4095), math.random(32768, 49151),
    math.random(0, 65535), math.random(0, 65535), math.random(0, 65535))
end
local head = '{"integrations":{},"anonymousId":null,"properties":{"page":"/","plan":"pro"},' ..
  '"timestamp":"2026-12-07T05:00:00.000000+00:00","context":{"library":' ..
  '{"name":"analytics-python","version":"2.3.2"}},"userId":"user-'
local mid = '","type":"track","event":"Clicked","messageId":"'
request = function()
  local parts = {}
  for i = 1, n do
    parts[i] = head .. math.random(1, 10000) .. mid .. uuid4() .. '"}'
  end
  local body = '{"batch":[' .. table.concat(parts, ",") ..
    '],"sentAt":"2026-12-07T05:00:00.100000+00:00"}'
  return wrk.format("POST", "/v1/batch", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Basic " .. key,
  }, body)
end
"""


def prefill(url: str, key: str, stored: int, spread_days: int) -> float:
    """Store ``stored`` events with UUIDv4 message ids in the source of ``key``; returns
    seconds taken."""
    storage = open_storage(url)
    storage.startup()
    source = storage.source_by_key_hash(secret_hash(key))
    assert source is not None
    rng = random.Random(7)
    now = time.time_ns() // 1000
    began = time.perf_counter()
    done = 0
    while done < stored:
        drafts = []
        for i in range(done, min(stored, done + PREFILL_BATCH)):
            # Oldest first, as they would have arrived.
            at = now - (spread_days * DAY_US * (stored - i)) // stored if spread_days else now
            drafts.append(
                EventDraft(
                    source.id, "segment", "Clicked", at, at, 1.0, None, None,
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    f"user-{rng.randrange(10_000)}", None, None,
                )
            )  # fmt: skip
        storage.insert_batch(drafts)
        done += len(drafts)
    # Steady state: ids past the de-duplication window are forgotten already (the server's
    # hourly pass does it a day at a time; a month loaded at once is a backlog it would be
    # clearing during the measurement). Older servers have no such table.
    expire = getattr(storage, "expire_message_ids", None)
    while expire is not None and expire(50_000):
        pass
    storage.shutdown()
    return time.perf_counter() - began


def wrk(url: str, key: str, messages: int, connections: int, duration: float) -> dict[str, Any]:
    import base64

    basic = base64.b64encode(f"{key}:".encode()).decode()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "30s"]
    done = subprocess.run(
        [*command, "--latency", "-s", script.name, url],
        env={"BENCH_KEY": basic, "BENCH_MESSAGES": str(messages), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    out = done.stdout
    requests = int(_group(r"(\d+) requests in", out) or 0)
    bad = int(_group(r"Non-2xx or 3xx responses: (\d+)", out) or 0)
    ok = requests - bad
    return {
        "requests": requests,
        "non_200": bad,
        "req_s": ok / duration,
        "events_s": ok * messages / duration,
        "p50_ms": _ms(_group(r"(?m)^\s+50%\s+(\S+)", out)),
        "p99_ms": _ms(_group(r"(?m)^\s+99%\s+(\S+)", out)),
    }


def run(args: argparse.Namespace, database_url: str, data: Path) -> dict[str, Any]:
    server = start_server(data, database_url=database_url)
    try:
        url = database_url or f"sqlite:///{data / 'tidings.db'}"
        filled = prefill(url, server.key, args.stored, args.spread_days)
        print(f"  stored {args.stored:,} UUIDv4 ids in {filled:.0f} s", flush=True)
        rounds = []
        for _ in range(args.rounds):
            before = cpu_seconds(server.proc.pid)
            result = wrk(server.url, server.key, 100, args.connections, args.duration)
            used = cpu_seconds(server.proc.pid) - before
            stored = max(result["events_s"] * args.duration, 1)
            result["server_cpu_us_per_event"] = used / stored * 1e6
            result["load_average"] = load_average()
            print(
                f"  {result['events_s']:>9,.0f} events/s p50 {result['p50_ms']:7.1f} ms "
                f"p99 {result['p99_ms']:7.1f} ms cpu {result['server_cpu_us_per_event']:5.1f} "
                f"us/event non-200 {result['non_200']} load {result['load_average']}",
                flush=True,
            )
            rounds.append(result)
        return {"prefill_s": filled, "rounds": rounds}
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--stored", type=int, default=2_000_000)
    parser.add_argument("--spread-days", type=int, default=30, help="0: all received today")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("needs wrk")
    report: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    print(f"{args.engine}: {args.stored:,} stored, spread over {args.spread_days} days", flush=True)
    with tempfile.TemporaryDirectory(prefix="tidings-segids-") as tmp:
        if args.engine == "postgres":
            with postgres_schema(args.postgres_url) as url:
                report["result"] = run(args, url, Path(tmp))
        else:
            report["result"] = run(args, "", Path(tmp))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"segment-ids-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
