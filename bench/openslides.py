"""OpenSlides 3 mode benchmark: N autoupdate streams of N different users while OpenSlides
writes one change every ``--interval`` seconds.

Writes a meeting of ``--users`` users (in the Default, Delegates and Staff groups), motions
with comments, agenda items and lists of speakers into Redis (a key prefix of its own),
starts ``tidings serve`` in the OpenSlides mode over it, opens one raw-socket
``/system/autoupdate`` stream per user (each with its own Django session), then makes
changes as OpenSlides does (write, then ``XADD autoupdate``), cycling through a motion, an
agenda item, a list of speakers and a user, so every line is restricted per user. Reports
the delivery latency (change announced -> line received) over all streams, p50/p99/max.

    python bench/openslides.py --users 1000 --interval 0.1 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from tidings.compat.openslides.os3.session import encode_session

try:
    import uvloop
except ImportError:  # pragma: no cover - optional, only faster
    uvloop = None

SECRET = b"bench-secret"
LOWEST = 157000000000
STAFF = ["motions.can_manage", "agenda.can_manage", "users.can_see_extra_data"]
SEE = ["motions.can_see", "agenda.can_see", "agenda.can_see_list_of_speakers"]
_LINE = re.compile(rb'"from_change_id":(-?\d+),"to_change_id":(\d+)')


def meeting(users: int) -> dict[str, dict[str, object]]:
    e: dict[str, dict[str, object]] = {
        "core/config:1": {"id": 1, "key": "general_system_enable_anonymous", "value": False},
        "users/group:1": {"id": 1, "permissions": SEE},
        "users/group:2": {"id": 2, "permissions": []},
        "users/group:3": {"id": 3, "permissions": [*SEE, "users.can_see_name"]},
        "users/group:4": {"id": 4, "permissions": [*SEE, "users.can_see_name", *STAFF]},
    }
    for uid in range(1, users + 1):
        group = [[], [3], [4], [3]][uid % 4]
        e[f"users/user:{uid}"] = {
            "id": uid, "username": f"u{uid}", "first_name": f"User {uid}", "groups_id": group,
            "is_present": uid % 2 == 0, "email": f"u{uid}@example.org", "comment": "",
        }  # fmt: skip
    for i in range(1, 51):
        e[f"motions/motion:{i}"] = motion(i, 0)
        e[f"agenda/item:{i}"] = {"id": i, "is_hidden": i % 5 == 0, "is_internal": i % 7 == 0,
                                 "duration": 5, "comment": "c", "item_number": str(i)}  # fmt: skip
        e[f"agenda/list-of-speakers:{i}"] = speakers(i, 0)
    return e


def motion(i: int, n: int) -> dict[str, object]:
    return {
        "id": i,
        "title": f"Motion {i} v{n}",
        "state_restriction": [] if i % 3 else ["motions.can_manage"],
        "submitters": [{"user_id": i, "weight": 1}],
        "supporters_id": [],
        "comments": [{"section_id": 1, "comment": "staff", "read_groups_id": [4]}],
    }


def speakers(i: int, n: int) -> dict[str, object]:
    return {"id": i, "speakers": [{"id": n, "user_id": 1 + n % 50, "note": "n", "weight": n}]}


def change(n: int) -> dict[str, dict[str, object]]:
    """The n-th change: a motion, an agenda item, a list of speakers or a user in turn."""
    kind, i = n % 4, 1 + n % 50
    if kind == 0:
        return {f"motions/motion:{i}": motion(i, n)}
    if kind == 1:
        item = {"id": i, "is_hidden": n % 5 == 0, "duration": n, "comment": "c"}
        return {f"agenda/item:{i}": item}
    if kind == 2:
        return {f"agenda/list-of-speakers:{i}": speakers(i, n)}
    user = {"id": i, "username": f"u{i}", "groups_id": [3], "is_present": n % 2 == 0}
    return {f"users/user:{i}": user}


class Layout:
    def __init__(self, url: str, prefix: str) -> None:
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.change_id = LOWEST

    def build(self, elements: dict[str, dict[str, object]]) -> None:
        p = self.prefix
        pipe = self.redis.pipeline()
        pipe.zadd(p + "change_id", {"_config:lowest_change_id": LOWEST})
        pipe.hset(p + "full_data", mapping={k: orjson.dumps(v) for k, v in elements.items()})
        pipe.set(p + "cache_ready", "ok")
        pipe.execute()

    def change(self, elements: dict[str, dict[str, object]]) -> int:
        self.change_id += 1
        p, cid = self.prefix, self.change_id
        pipe = self.redis.pipeline()
        for key, value in elements.items():
            pipe.hset(p + "full_data", key, orjson.dumps(value))
            pipe.zadd(p + "change_id", {key: cid})
        content = orjson.dumps({"elements": elements, "change_id": cid})
        pipe.xadd(p + "autoupdate", {"content": content})
        pipe.execute()
        return cid

    def sessions(self, users: int) -> list[str]:
        ids = []
        pipe = self.redis.pipeline()
        for uid in range(1, users + 1):
            sid = uuid.uuid4().hex
            body = orjson.dumps({"_auth_user_id": str(uid)})
            pipe.set(f"{self.prefix}session:{sid}", encode_session(SECRET, body), ex=3600)
            ids.append(sid)
        pipe.execute()
        return ids

    def clean(self) -> None:
        keys = list(self.redis.scan_iter(match=self.prefix + "*", count=5000))
        for start in range(0, len(keys), 1000):
            self.redis.delete(*keys[start : start + 1000])


class Stream(asyncio.Protocol):
    """Notes when each change id arrives, from the change ids of every line."""

    def __init__(self, sent: dict[int, float], latencies: list[float]) -> None:
        self.sent = sent
        self.latencies = latencies
        self.buffer = b""
        self.lines = 0
        self.ok = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self.ok.done():
            self.ok.set_result(data.startswith(b"HTTP/1.1 200"))
        self.buffer += data
        cut = self.buffer.rfind(b"\n")
        if cut < 0:
            return
        complete, self.buffer = self.buffer[:cut], self.buffer[cut + 1 :]
        for match in _LINE.finditer(complete):
            self.lines += 1
            for cid in range(int(match[1]) + 1, int(match[2]) + 1):
                sent = self.sent.get(cid)
                if sent is not None:
                    self.latencies.append(now - sent)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ok.done():
            self.ok.set_result(False)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(
    args: argparse.Namespace, port: int, layout: Layout, sessions: list[str], pid: int
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    sent: dict[int, float] = {}
    latencies: list[float] = []
    streams = []
    start = layout.change_id
    for sid in sessions:
        _, stream = await loop.create_connection(lambda: Stream(sent, latencies), "127.0.0.1", port)
        request = (f"GET /system/autoupdate?change_id={start} HTTP/1.1\r\nHost: bench\r\n"
                   f"Cookie: OpenSlidesSessionID={sid}\r\n\r\n")  # fmt: skip
        assert stream.transport is not None
        stream.transport.write(request.encode())
        streams.append(stream)
    opened = sum([await s.ok for s in streams])
    await asyncio.sleep(1.0)  # let every stream reach its follow loop
    changes = 0
    cpu_server, cpu_client = cpu_seconds(pid), time.process_time()
    began = time.perf_counter()
    next_at = began
    while time.perf_counter() - began < args.duration:
        n = changes
        element = change(n)
        sent[layout.change_id + 1] = time.perf_counter()
        await asyncio.to_thread(layout.change, element)
        changes += 1
        next_at += args.interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.sleep(2.0)  # the last changes' lines
    elapsed = time.perf_counter() - began
    cpu_server, cpu_client = cpu_seconds(pid) - cpu_server, time.process_time() - cpu_client
    expected = changes * len(streams)
    for s in streams:
        if s.transport is not None:
            s.transport.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return (
            round(1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)
            if ordered
            else 0.0
        )

    return {
        "streams": len(streams), "streams_ok": opened, "changes": changes,
        "deliveries": len(latencies), "deliveries_expected": expected,
        "latency_p50_ms": pct(50), "latency_p99_ms": pct(99),
        "latency_max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
        "server_cpu_share": round(cpu_server / elapsed, 2),
        "bench_client_cpu_share": round(cpu_client / elapsed, 2),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between changes")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--port", type=int, default=8798)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    layout = Layout(args.redis_url, f"osbench{uuid.uuid4().hex[:8]}:")
    layout.build(meeting(args.users))
    sessions = layout.sessions(args.users)
    with tempfile.TemporaryDirectory() as data_dir:
        secret = Path(data_dir) / "secret"
        secret.write_text(f"DJANGO_SECRET_KEY = '{SECRET.decode()}'\n")
        env = {**os.environ, "TIDINGS_DATA_DIR": data_dir, "TIDINGS_LOG_LEVEL": "warning",
               "TIDINGS_ADMIN_PASSWORD": "bench-password-1",
               "TIDINGS_OPENSLIDES_REDIS_URL": args.redis_url,
               "TIDINGS_OPENSLIDES_REDIS_KEY_PREFIX": layout.prefix,
               "TIDINGS_OPENSLIDES_SESSION_PREFIX": layout.prefix + "session:",
               "TIDINGS_OPENSLIDES_SECRET_FILE": str(secret)}  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "tidings", "serve", "--port", str(args.port)], env=env
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (
                        httpx.get(f"http://127.0.0.1:{args.port}/readyz", timeout=1).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
            coro = run(args, args.port, layout, sessions, proc.pid)
            result = uvloop.run(coro) if uvloop is not None else asyncio.run(coro)
        finally:
            proc.terminate()
            proc.wait(60)
            layout.clean()
    print(json.dumps(result, indent=2))
    return dict(result)


if __name__ == "__main__":
    main()
