"""Start real ``tidings serve`` processes for tests that need a socket (streams, SDKs, kills)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_PASSWORD = "admin-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    @property
    def admin(self) -> tuple[str, str]:
        return ("admin", ADMIN_PASSWORD)

    def cli(self, *args: str) -> str:
        """Run ``tidings ARGS`` against this server's database; returns stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "tidings", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tidings {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def create_source(self, name: str = "test") -> str:
        """A new source's write key."""
        key: str = json.loads(self.cli("source", "create", name, "--json"))["write_key"]
        return key

    def start(self, *serve_args: str) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tidings", "serve", "--port", str(port), *serve_args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not become ready:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@contextmanager
def running_server(
    data_dir: Path, env: Mapping[str, str] | None = None, *serve_args: str
) -> Iterator[Server]:
    """A started server with its own data dir on a free port; stopped (SIGTERM) on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(data_dir),
        "TIDINGS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TIDINGS_LOG_LEVEL": "warning",
        **(env or {}),
    }
    server = Server(
        url=f"http://127.0.0.1:{free_port()}",
        data_dir=data_dir,
        env=full_env,
        log=data_dir / "server.log",
    )
    server.start(*serve_args)
    try:
        yield server
    finally:
        server.stop()
