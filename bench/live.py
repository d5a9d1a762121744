"""Live fan-out benchmark: N SSE subscribers on /api/v1/live while events are ingested.

Starts its own ``tidings serve`` (fresh data dir, memory bus unless ``--bus-url``), opens
``--subscribers`` raw-socket SSE streams, then posts ``--rate`` events per second for
``--duration`` seconds in small batches. Every event carries its send time; a few *probe*
subscribers parse every event and record delivery latency (send -> received by the
subscriber), the others count events cheaply. Reports p50/p99/max latency, how many
subscribers received every event, and the server's resident memory before, during and
after.

    python bench/live.py --subscribers 1000 --rate 1000 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - optional, only faster
    uvloop = None

ADMIN_PASSWORD = "bench-password-1"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    from_receipt: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    errors: int = 0
    ingest_errors: int = 0
    last_id: int = 0


class Dechunker:
    """HTTP/1.1 chunked transfer decoding, fed arbitrary slices of the byte stream."""

    def __init__(self) -> None:
        self.buffer = b""
        self.remaining = 0

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        out = bytearray()
        while True:
            if self.remaining:
                take = self.buffer[: self.remaining]
                out += take
                self.buffer = self.buffer[len(take) :]
                self.remaining -= len(take)
                if self.remaining:
                    return bytes(out)
                continue
            end = self.buffer.find(b"\r\n", 2 if self.buffer.startswith(b"\r\n") else 0)
            if end < 0:
                return bytes(out)
            size_line = self.buffer[:end].strip()
            self.buffer = self.buffer[end + 2 :]
            if size_line:
                self.remaining = int(size_line, 16)


#: One receive buffer for every Counter: each read is handled before the next one starts.
_SHARED = bytearray(1 << 18)
_ID = b"\nid: "


def _last_id(buf: bytes | bytearray, end: int) -> int:
    """The id of the last complete ``id:`` line in ``buf[:end]`` (0 if none)."""
    stop = end
    while (pos := buf.rfind(_ID, 0, stop)) >= 0:
        line_end = buf.find(b"\n", pos + len(_ID), end)
        if line_end >= 0:
            return int(buf[pos + len(_ID) : line_end])
        stop = pos  # cut off by the end of this read: the one before is complete
    return 0


class Counter(asyncio.BufferedProtocol):
    """A non-probe subscriber: notes the last event id it was sent, reading into a shared
    buffer and looking only near each read's end, so 1,000 of them cost the bench client
    little CPU. It subscribed before the first event, and the stream is in id order and
    gapless unless the server drops the reader (the probes count every event)."""

    def __init__(self, head: asyncio.Future[bool]) -> None:
        self.head = head
        self.last = 0
        self.tail = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> bytearray:
        return _SHARED

    def buffer_updated(self, nbytes: int) -> None:
        buf = _SHARED
        if not self.head.done():
            self.head.set_result(buf.startswith(b"HTTP/1.1 200"))
        # An id line split across two reads is complete in the bytes around the boundary.
        edge = self.tail + bytes(buf[: min(nbytes, 32)])
        self.last = max(self.last, _last_id(edge, len(edge)), _last_id(buf, nbytes))
        self.tail = bytes(buf[max(0, nbytes - 32) : nbytes])

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_result(False)


async def counter(host: str, port: int, auth: str, stats: Stats) -> Counter | None:
    loop = asyncio.get_running_loop()
    head: asyncio.Future[bool] = loop.create_future()
    try:
        transport, proto = await loop.create_connection(lambda: Counter(head), host, port)
    except OSError:
        stats.errors += 1
        return None
    transport.write(
        f"GET /api/v1/live?namespace=bench HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {auth}\r\n\r\n".encode()
    )
    if not await head:
        stats.errors += 1
        transport.close()
        return None
    return proto


async def probe(
    host: str,
    port: int,
    auth: str,
    stats: Stats,
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """A probe subscriber: parses every event and records its delivery latency."""
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 22)
    except OSError:
        stats.errors += 1
        ready.set()
        return
    writer.write(
        f"GET /api/v1/live?namespace=bench HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {auth}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        stats.errors += 1
        ready.set()
        return
    ready.set()
    count = 0
    dechunk = Dechunker()
    pending = b""
    while not stop.is_set():
        try:
            data = await reader.read(1 << 20)
        except asyncio.CancelledError:
            break
        if not data:
            break
        now = time.time()
        pending += dechunk.feed(data)
        *frames, pending = pending.split(b"\n\n")
        for frame in frames:
            for line in frame.split(b"\n"):
                if line.startswith(b"data: "):
                    event = orjson.loads(line[6:])
                    stats.latencies.append(now - event["properties"]["t"])
                    stats.from_receipt.append(now - _epoch(event["received_at"]))
                    count += 1
    stats.counts.append(count)
    writer.close()


class Poster:
    """One keep-alive HTTP/1.1 connection for ingest requests: raw bytes, not httpx, since the
    bench client shares the server's two cores and httpx cost more CPU than the server did."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status_line = await self.reader.readuntil(b"\r\n")
        headers = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        status = int(status_line.split()[1])
        return status, body


async def produce(
    url: str, key: str, rate: float, duration: float, batch: int, stats: Stats
) -> int:
    """Open loop: one request of ``batch`` events is due every ``batch / rate`` seconds,
    sent whether or not earlier ones were answered (up to 16 in flight, one per keep-alive
    connection). A failed request is counted, not fatal, so an overloaded server still
    yields a report."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/events HTTP/1.1\r\nHost: {host}\r\nX-Write-Key: {key}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    pool: asyncio.Queue[Poster] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(Poster(*await asyncio.open_connection(host, int(port))))
    sent = 0
    interval = batch / rate

    async def post() -> None:
        nonlocal sent
        poster = await pool.get()
        now = time.time()
        body = orjson.dumps(
            {
                "events": [
                    {"namespace": "bench", "name": "tick", "properties": {"t": now}}
                    for _ in range(batch)
                ]
            }
        )
        try:
            async with asyncio.timeout(30):
                status, answer = await poster.post(head, body)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            stats.ingest_errors += 1
            poster.writer.close()
            poster = Poster(*await asyncio.open_connection(host, int(port)))
        else:
            if status < 300:
                sent += batch
                stats.last_id = max(stats.last_id, *orjson.loads(answer)["ids"])
            else:
                stats.ingest_errors += 1
        pool.put_nowait(poster)

    start = time.monotonic()
    requests: list[asyncio.Task[None]] = []
    while (now := time.monotonic()) - start < duration:
        # Start every request due by now: if this loop lags (the box is busy), it catches up
        # at once instead of silently lowering the offered rate.
        due = int((now - start) / interval) + 1
        while len(requests) < due:
            requests.append(asyncio.create_task(post()))
        await asyncio.sleep(max(0.0, start + len(requests) * interval - time.monotonic()))
    await asyncio.gather(*requests)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return sent


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def run(args: argparse.Namespace, url: str, key: str, pid: int) -> dict[str, object]:
    host, port = url.removeprefix("http://").split(":")
    auth = "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    stats = Stats()
    stop = asyncio.Event()
    tasks = []
    counters: list[Counter | None] = []
    rss_idle = rss_mib(pid)
    every = max(1, args.subscribers // max(1, args.probes))
    for i in range(args.subscribers):
        if args.probes and i % every == 0:
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(probe(host, int(port), auth, stats, ready, stop)))
            await ready.wait()
        else:
            counters.append(await counter(host, int(port), auth, stats))
    rss_subscribed = rss_mib(pid)
    peak = rss_subscribed

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    load_start = os.getloadavg()[0]
    cpu_server, cpu_client = cpu_seconds(pid), time.process_time()
    started = time.monotonic()
    print("producing", file=sys.stderr, flush=True)
    sent = await produce(url, key, args.rate, args.duration, args.batch, stats)
    elapsed = time.monotonic() - started
    cpu_server, cpu_client = cpu_seconds(pid) - cpu_server, time.process_time() - cpu_client
    await asyncio.sleep(2)  # let the tail arrive
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sampler
    complete = sum(1 for c in stats.counts if c >= sent)
    for proto in counters:
        if proto is not None:
            complete += proto.last >= stats.last_id
            if proto.transport is not None:
                proto.transport.close()
    return {
        "load_average_1m": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "subscribers": args.subscribers,
        "probes": len(stats.latencies) and args.probes,
        "events_sent": sent,
        "events_per_s": round(sent / elapsed),
        "subscribers_with_every_event": complete,
        "connect_errors": stats.errors,
        "ingest_errors": stats.ingest_errors,
        "latency_p50_ms": round(percentile(stats.latencies, 50) * 1000, 1),
        "latency_p99_ms": round(percentile(stats.latencies, 99) * 1000, 1),
        "latency_max_ms": round(max(stats.latencies, default=float("nan")) * 1000, 1),
        "from_receipt_p50_ms": round(percentile(stats.from_receipt, 50) * 1000, 1),
        "from_receipt_p99_ms": round(percentile(stats.from_receipt, 99) * 1000, 1),
        "server_cpu_s": round(cpu_server, 2),
        "bench_client_cpu_s": round(cpu_client, 2),
        "server_cpu_share": round(cpu_server / elapsed, 2),
        "bench_client_cpu_share": round(cpu_client / elapsed, 2),
        "elapsed_s": round(elapsed, 1),
        "server_rss_idle_mib": round(rss_idle, 1),
        "server_rss_subscribed_mib": round(rss_subscribed, 1),
        "server_rss_peak_mib": round(peak, 1),
        "server_rss_after_mib": round(rss_mib(pid), 1),
    }


def start_server(data_dir: str, port: int, bus_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TIDINGS_DATA_DIR": data_dir,
        "TIDINGS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TIDINGS_LOG_LEVEL": "warning",
        "TIDINGS_BUS_URL": bus_url,
    }
    cli = [sys.executable, "-m", "tidings"]
    done = subprocess.run(
        [*cli, "source", "create", "bench", "--json"], env=env, capture_output=True, check=True
    )
    env["BENCH_KEY"] = json.loads(done.stdout)["write_key"]
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env)
    proc.bench_key = env["BENCH_KEY"]  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=20, help="subscribers that time events")
    parser.add_argument("--rate", type=float, default=1000, help="events per second")
    parser.add_argument("--batch", type=int, default=20, help="events per ingest request")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--bus-url", default="memory://")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory() as data_dir:
        proc = start_server(data_dir, args.port, args.bus_url)
        try:
            url = f"http://127.0.0.1:{args.port}"
            coro = run(args, url, proc.bench_key, proc.pid)  # type: ignore[attr-defined]
            result = uvloop.run(coro) if uvloop is not None else asyncio.run(coro)
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result, indent=2))
    return dict(result)


if __name__ == "__main__":
    main()
