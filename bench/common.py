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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> Running:
    full_env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(data_dir),
        "TIDINGS_ADMIN_PASSWORD": PASSWORD,
        "TIDINGS_LOG_LEVEL": "warning",
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidings", "serve", "--port", str(port), *extra],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return Running(url, key, PASSWORD, proc)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(server: Running) -> None:
    server.proc.terminate()
    server.proc.wait(60)
