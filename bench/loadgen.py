"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (uvloop when installed).

Every connection sends the same prebuilt request over and over, so the per-request cost on
the client is one ``write`` and one response parse. That is what lets one Python process
drive ~10k req/s on a 2-core box; an HTTP client library per request could not.

Closed loop (default): each connection sends its next request as soon as the previous answer
arrived. Open loop (``rate``): requests are due on a fixed schedule and latency is measured
from when a request was *due*, not when it went out, so a stalled server is charged for the
requests it delayed (no coordinated omission).

    python bench/loadgen.py --url http://127.0.0.1:8000/api/v1/events \\
        -H 'X-Write-Key: KEY' --body '{"namespace":"bench","name":"click"}' -c 64 -d 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is optional, only faster
    uvloop = None


T = TypeVar("T")


class ProtocolError(Exception):
    """The server's response could not be framed."""


@dataclass
class Summary:
    """What one run measured; the same shape for the Python generator and wrk."""

    tool: str
    connections: int
    duration_s: float
    requests: int
    non_200: int
    errors: int
    req_s: float  # acknowledged (200) requests per second
    events_s: float  # acknowledged events per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    target_rate: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)  # one body per non-200 status

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def build_request(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bytes]:
    """Serialise one POST once; returns (host, port, raw request bytes)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise ValueError(f"only plain http:// URLs are supported, got {url!r}")
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.hostname}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return parts.hostname, port, head + body


def count_events(body: bytes) -> int:
    """Events in an ingest body: the length of ``events`` (native) or ``batch`` (Segment)
    for a batch, else one."""
    decoded = orjson.loads(body)
    for key in ("events", "batch"):
        if isinstance(decoded, dict) and isinstance(decoded.get(key), list):
            return len(decoded[key])
    return 1


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        chunk = await reader.readexactly(size + 2)  # the chunk and its CRLF
        if size == 0:
            return b"".join(parts)
        parts.append(chunk[:-2])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; returns (status, connection may be reused, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        raise ProtocolError(f"not an HTTP/1.x response: {head[:40]!r}")
    status = int(head[9:12])
    lower = head.lower()
    keep = b"\r\nconnection: close" not in lower
    index = lower.find(b"\r\ncontent-length:")
    if index >= 0:
        end = lower.index(b"\r\n", index + 2)
        body = await reader.readexactly(int(head[index + 17 : end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        body = await _read_chunked(reader)
    else:
        # No framing: the body runs to end of stream, so the connection is spent.
        body = await reader.read()
        keep = False
    return status, keep, body


class _Run:
    """State shared by the connections of one run (single-threaded, so no locks)."""

    def __init__(self, request: bytes, duration: float, warmup: float, rate: float | None):
        self.request = request
        self.rate = rate
        self.start = time.perf_counter()
        self.measure_from = self.start + warmup
        self.deadline = self.measure_from + duration
        self.next_slot = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.samples: dict[int, bytes] = {}
        self.errors = 0

    async def due(self) -> float:
        """Wait for this request's turn; returns the time latency is measured from."""
        now = time.perf_counter()
        if self.rate is None:
            return now
        slot = self.start + self.next_slot / self.rate
        self.next_slot += 1
        if slot > now:
            await asyncio.sleep(slot - now)
            # Charge only the time after the request really left: waking late by a timer
            # tick is the generator's fault, not the server's.
            return time.perf_counter()
        return slot  # behind schedule: the server kept us waiting, so count that wait

    def record(self, sent: float, done: float, status: int, body: bytes) -> None:
        if sent < self.measure_from or done > self.deadline:
            return
        self.latencies.append(done - sent)
        self.statuses[status] += 1
        if status != 200 and status not in self.samples:
            self.samples[status] = body[:300]


async def _connection(run: _Run, host: str, port: int) -> None:
    while time.perf_counter() < run.deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            run.errors += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.perf_counter() < run.deadline:
                sent = await run.due()
                writer.write(run.request)
                status, keep, body = await read_response(reader)
                run.record(sent, time.perf_counter(), status, body)
                if not keep:
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError):
            run.errors += 1
        finally:
            writer.close()


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def run_load(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connections: int,
    duration: float,
    warmup: float = 1.0,
    rate: float | None = None,
    events_per_request: int | None = None,
    grace: float = 10.0,
) -> Summary:
    """Drive ``url`` with ``connections`` keep-alive connections and summarise the run.

    Only requests sent after ``warmup`` seconds and answered within the ``duration`` that
    follows are counted. Requests still unanswered ``grace`` seconds after the end are
    abandoned and counted as errors.
    """
    host, port, request = build_request(url, body, headers)
    events = events_per_request or count_events(body)
    run = _Run(request, duration, warmup, rate)
    tasks = [asyncio.create_task(_connection(run, host, port)) for _ in range(connections)]
    _, pending = await asyncio.wait(tasks, timeout=warmup + duration + grace)
    for task in pending:
        task.cancel()
        run.errors += 1
    await asyncio.gather(*pending, return_exceptions=True)
    ordered = sorted(run.latencies)
    ok = run.statuses.get(200, 0)
    return Summary(
        tool="python",
        connections=connections,
        duration_s=duration,
        requests=len(ordered),
        non_200=len(ordered) - ok,
        errors=run.errors,
        req_s=ok / duration,
        events_s=ok * events / duration,
        p50_ms=_percentile(ordered, 50) * 1000,
        p99_ms=_percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] * 1000) if ordered else float("nan"),
        target_rate=rate,
        statuses={str(code): n for code, n in sorted(run.statuses.items())},
        samples={str(code): text.decode(errors="replace") for code, text in run.samples.items()},
    )


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a fresh event loop: uvloop's when installed (several times faster)."""
    if uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)


def format_summary(s: Summary) -> str:
    rate = f" target={s.target_rate:.0f}/s" if s.target_rate else ""
    text = (
        f"{s.tool} c={s.connections}{rate} requests={s.requests} non-200={s.non_200} "
        f"errors={s.errors} req/s={s.req_s:,.0f} events/s={s.events_s:,.0f} "
        f"p50={s.p50_ms:.2f}ms p99={s.p99_ms:.2f}ms max={s.max_ms:.1f}ms"
    )
    for status, sample in s.samples.items():
        text += f"\n  first {status} body: {sample}"
    return text


def parse_headers(values: list[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep:
            raise SystemExit(f"bad header {value!r}; expected 'Name: value'")
        headers[name.strip()] = rest.strip()
    return headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://host:port/path to POST to")
    body = parser.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", help="request body (JSON text)")
    body.add_argument("--body-file", help="file holding the request body")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("-c", "--connections", type=int, default=64)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds run but not counted")
    parser.add_argument("--rate", type=float, help="open loop: requests per second to offer")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if args.body is not None:
        payload = args.body.encode()
    else:
        with open(args.body_file, "rb") as handle:
            payload = handle.read()
    summary = run_async(
        run_load(
            args.url,
            payload,
            parse_headers(args.header),
            connections=args.connections,
            duration=args.duration,
            warmup=args.warmup,
            rate=args.rate,
        )
    )
    if args.json:
        sys.stdout.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        print(format_summary(summary))
    return 0 if summary.requests and not summary.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
