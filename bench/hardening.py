"""The "Done when" scenarios of issue 20 against a real server, for a before/after table.

    python bench/hardening.py --src /work/main/src        # before
    python bench/hardening.py --src src                   # after

Starts ``tidings serve`` from the given source tree on a fresh SQLite data dir and runs:

* ``idle``: N idle TCP connections (default 24,000, held by child processes of 12,000
  each), then the latency of ``/healthz`` and of an authenticated single-event ingest;
* ``slowloris``: N connections that send half a request head and never finish it, then
  the same two latencies;
* ``header``: the status a 100 KB request header gets;
* ``overload``: S senders posting B-event batches at once (default 300 x 5,000): the
  server's peak RSS, the time to the first 503, and whether every acknowledged event is
  stored (each refused batch is sent again afterwards).

Figures from a shared 2-core box are noisy: run it short and read them as rough.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

PASSWORD = "admin-password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, src: str, env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tidings-hardening-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": src,
            "TIDINGS_DATA_DIR": str(self.dir / "data"),
            "TIDINGS_ADMIN_PASSWORD": PASSWORD,
            "TIDINGS_LOG_LEVEL": "warning",
            **env,
        }
        log = (self.dir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tidings", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        out = subprocess.run(
            [sys.executable, "-m", "tidings", "source", "create", "bench", "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.key: str = json.loads(out.stdout)["write_key"]

    def rss(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _latencies(server: Server) -> dict[str, Any]:
    """Seconds for /healthz and for one authenticated ingest on fresh connections (or the
    error when there was no answer within 10 s)."""
    out: dict[str, Any] = {}
    for name, call in (
        ("healthz", lambda c: c.get("/healthz")),
        (
            "ingest",
            lambda c: c.post(
                "/api/v1/events",
                json={"namespace": "b", "name": "e"},
                headers={"X-Write-Key": server.key},
            ),
        ),
    ):
        started = time.monotonic()
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                answer = call(client)
            out[name] = (answer.status_code, round(time.monotonic() - started, 3))
        except httpx.HTTPError as exc:
            out[name] = (type(exc).__name__, round(time.monotonic() - started, 3))
    return out


def _open(server: Server, count: int, head: bytes | None) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        except OSError:
            break
        if head:
            try:
                sock.sendall(head)
            except OSError:
                pass
        sockets.append(sock)
    return sockets


def _holder(port: int, count: int, opened: Any, release: Any) -> None:
    """A child process holding ``count`` idle connections (one process may not hold more
    sockets than its open-files limit) until ``release`` is set."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    sockets = []
    for _ in range(count):
        try:
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    opened.put(len(sockets))
    release.wait()


def idle(server: Server, count: int) -> dict[str, Any]:
    import multiprocessing

    per = 12_000
    opened: Any = multiprocessing.Queue()
    release = multiprocessing.Event()
    holders = [
        multiprocessing.Process(
            target=_holder, args=(server.port, min(per, count - n), opened, release)
        )
        for n in range(0, count, per)
    ]
    for holder in holders:
        holder.start()
    total = sum(opened.get(timeout=300) for _ in holders)
    try:
        return {"opened": total, **_latencies(server)}
    finally:
        release.set()
        for holder in holders:
            holder.join(60)


def slowloris(server: Server, count: int) -> dict[str, Any]:
    sockets = _open(server, count, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
    try:
        found = {"opened": len(sockets), **_latencies(server)}
        # The server's header deadline (if any) should have closed them all by now.
        time.sleep(15)
        closed = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                data = sock.recv(100)
                closed += 1 if data == b"" or data.startswith(b"HTTP/1.1 408") else 0
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return {**found, "closed_by_server_after_15s": closed}
    finally:
        for sock in sockets:
            sock.close()


def header(server: Server) -> dict[str, Any]:
    try:
        answer = httpx.get(f"{server.url}/healthz", headers={"X-Big": "a" * 100_000}, timeout=10)
        return {"status": answer.status_code}
    except httpx.HTTPError as exc:
        return {"status": type(exc).__name__}


def overload(server: Server, senders: int, events: int) -> dict[str, Any]:
    # Bodies only (the event dicts of 300 x 5,000 events would cost this process ~1 GB).
    bodies = [
        orjson.dumps(
            {
                "events": [
                    {
                        "namespace": "o",
                        "name": "e",
                        "message_id": f"{s}-{i}",
                        "properties": {"i": i},
                    }
                    for i in range(events)
                ]
            }
        )
        for s in range(senders)
    ]
    acked: set[int] = set()
    refused: list[int] = []
    first_503: list[float] = []
    peak = [server.rss()]
    done = threading.Event()
    latencies: list[float] = []
    headers = {"X-Write-Key": server.key, "Content-Type": "application/json"}

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], server.rss())

    async def send(sender: int, t0: float) -> None:
        # Raw HTTP/1.1 over asyncio: the kernel copies the bodies, so 300 senders really
        # press at once (client threads under the GIL could not feed the server that fast).
        body = bodies[sender]
        head = (
            f"POST /api/v1/events HTTP/1.1\r\nHost: bench\r\nX-Write-Key: {server.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(head + body)
            status_line = await asyncio.wait_for(reader.readline(), 300)
            writer.close()
        except (OSError, TimeoutError):
            refused.append(sender)
            return
        latencies.append(time.monotonic() - started)
        status = int(status_line.split()[1]) if status_line.startswith(b"HTTP/1.1 ") else 0
        if status == 200:
            acked.add(sender)
        else:
            refused.append(sender)
            if status == 503:
                first_503.append(time.monotonic() - t0)

    async def flood() -> float:
        t0 = time.monotonic()
        await asyncio.gather(*(send(n, t0) for n in range(senders)))
        return time.monotonic() - t0

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    elapsed = asyncio.run(flood())
    done.set()
    sampler.join()
    acked_first = len(acked)
    # Every refused batch again, one at a time, until stored: then count what is there.
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for sender in refused:
            for _ in range(50):
                answer = client.post("/api/v1/events", content=bodies[sender], headers=headers)
                if answer.status_code == 200:
                    acked.add(sender)
                    break
                time.sleep(0.5)
        stored: set[str] = set()
        after = None
        while True:
            params = {"limit": "10000", **({"after": after} if after else {})}
            page = client.get("/api/v1/events", params=params, auth=("admin", PASSWORD)).json()
            stored.update(e["message_id"] for e in page["events"])
            after = page["next"]
            if not after:
                break
    want = {f"{s}-{i}" for s in acked for i in range(events)}
    latencies.sort()
    return {
        "senders": senders,
        "events_per_batch": events,
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(peak[0] / 1e6),
        "acked_at_once": acked_first,
        "refused_503": len(first_503),
        "first_503_s": round(min(first_503), 2) if first_503 else None,
        "p99_s": round(latencies[int(len(latencies) * 0.99) - 1], 2) if latencies else None,
        "acked_missing": len(want - stored),
        "stored": len(stored),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--idle", type=int, default=24_000)
    parser.add_argument("--slowloris", type=int, default=2_000)
    parser.add_argument("--senders", type=int, default=300)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--only", default="idle,slowloris,header,overload")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results: dict[str, Any] = {"src": args.src, "open_files_limit": hard}
    for part in args.only.split(","):
        server = Server(os.path.abspath(args.src), {})
        try:
            if part == "idle":
                results["idle"] = idle(server, args.idle)
            elif part == "slowloris":
                results["slowloris"] = slowloris(server, args.slowloris)
            elif part == "header":
                results["header"] = header(server)
            elif part == "overload":
                results["overload"] = overload(server, args.senders, args.events)
        finally:
            server.stop()
        print(json.dumps({part: results.get(part)}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
