"""Helpers shared by the benchmarks: start/stop a real server, describe the machine."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

PASSWORD = "bench-admin-password"


@dataclass
class Running:
    url: str
    key: str
    password: str
    proc: subprocess.Popen[bytes]
    #: Seconds from spawning the process until /healthz answered 200.
    startup_s: float = 0.0


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {python}, {platform.system()}"


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on the box moves every figure."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a --workers server or gunicorn forks children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and its children have used so far (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (shared pages counted per
    process, as ``ps`` does)."""
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wait_healthy(url: str, proc: subprocess.Popen[bytes], began: float, path: str) -> float:
    """Seconds from ``began`` until ``url + path`` answers 200 (polled every 10 ms)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return time.perf_counter() - began
        except httpx.TransportError:
            time.sleep(0.01)
    proc.kill()
    raise RuntimeError("server did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    data_dir: Path, *extra: str, env: dict[str, str] | None = None, database_url: str = ""
) -> Running:
    full_env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(data_dir),
        "TIDINGS_ADMIN_PASSWORD": PASSWORD,
        "TIDINGS_LOG_LEVEL": "warning",
        **({"TIDINGS_DATABASE_URL": database_url} if database_url else {}),
        **(env or {}),
    }
    created = subprocess.run(
        [sys.executable, "-m", "tidings", "source", "create", f"bench-{time.time_ns()}", "--json"],
        env=full_env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["write_key"]
    port = _free_port()
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidings", "serve", "--port", str(port), *extra],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    startup = wait_healthy(url, proc, began, "/healthz")
    wait_healthy(url, proc, began, "/readyz")
    return Running(url, key, PASSWORD, proc, startup)


def start_baseline(data_dir: Path, workers: int, journal: str = "wal") -> Running:
    """bench/baseline_flask.py under gunicorn with ``workers`` sync workers and SQLite
    journal mode ``journal``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "BASELINE_DB": str(data_dir / "baseline.db"), "BASELINE_JOURNAL": journal}
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync"]
    command += ["-b", f"127.0.0.1:{port}", "--chdir", str(Path(__file__).resolve().parent)]
    command += ["--log-level", "warning", "baseline_flask:app"]
    began = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    startup = wait_healthy(url, proc, began, "/healthz")
    return Running(url, "", "", proc, startup)


def stop_server(server: Running) -> None:
    server.proc.terminate()
    server.proc.wait(60)
