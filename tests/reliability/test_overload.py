"""A writer that falls behind: the queue bound holds, ingest answers 503 + Retry-After, the
server's memory stays flat, and everything recovers once the writer catches up.

The writer is made slow for real: another connection holds SQLite's write lock, so the
writer's commit waits while clients keep posting to a server with a tiny queue bound.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.ledger import Ledger, check_exactly_once, stored
from tests.reliability.stall import held_write_lock, queue_depth
from tests.server import running_server

#: Figures for SECURITY.md: run with --log-cli-level=INFO to see them.
log = logging.getLogger(__name__)

pytestmark = [pytest.mark.serial, pytest.mark.timeout(300)]

BOUND = 20
BATCH = 5
FLOODERS = 6
#: Padding per event, so refused bodies would show in the RSS if the server kept them.
PAD = "x" * 8000


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Flooder(threading.Thread):
    def __init__(
        self,
        url: str,
        key: str,
        name: str,
        ledger: Ledger,
        stop: threading.Event,
        refused: threading.Condition,
    ):
        super().__init__(daemon=True)
        self.url, self.key, self.prefix, self.ledger, self.stop = url, key, name, ledger, stop
        #: Notified after each refusal (the ledger has counted it by then).
        self.refused = refused
        self.seq = 0
        self.retry_after: set[str | None] = set()

    def batch(self) -> list[dict[str, Any]]:
        self.seq += 1
        return [
            {
                "namespace": "overload",
                "name": "tick",
                "message_id": f"{self.prefix}-{self.seq}-{n}",
                "properties": {"pad": PAD},
            }
            for n in range(BATCH)
        ]

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while not self.stop.is_set():
                response = self.ledger.post(http, self.key, self.batch())
                if response is not None and response.status_code == 503:
                    self.retry_after.add(response.headers.get("retry-after"))
                    with self.refused:
                        self.refused.notify_all()


def test_full_queue_refuses_with_503_stays_bounded_and_recovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ledger = Ledger()
    env = {"TIDINGS_QUEUE_MAX_EVENTS": str(BOUND)}
    with running_server(data, env) as server:
        assert server.proc is not None
        key = server.create_source("overload")
        stop = threading.Event()
        refused = threading.Condition()
        flooders = [
            Flooder(server.url, key, f"f{n}", ledger, stop, refused) for n in range(FLOODERS)
        ]
        depths: list[int] = []

        def refused_reach(count: int, seconds: float) -> None:
            """Wait until ``count`` requests were refused (at most ``seconds``), sampling the
            queue depth as refusals come in: that is when the queue should be full."""
            deadline = time.monotonic() + seconds
            while ledger.statuses["503"] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                with refused:
                    refused.wait(left)
                depths.append(queue_depth(server.url))

        # The writer's busy timeout is 10 s: the lock is held for less, so the queued
        # requests are committed (not failed) once it is released.
        with held_write_lock(data / "tidings.db"):
            for flooder in flooders:
                flooder.start()
            refused_reach(100, 2.5)
            rss_before = _rss_bytes(server.proc.pid)
            warm = ledger.statuses["503"]
            refused_reach(warm + 1000, 4)
            rss_after = _rss_bytes(server.proc.pid)
            flood = ledger.statuses["503"] - warm
            stop.set()
        for flooder in flooders:
            flooder.join(30)
            assert not flooder.is_alive()

        assert flood >= 100, f"only {flood} requests refused during the flood"
        assert max(depths) <= BOUND, depths
        assert {r for f in flooders for r in f.retry_after} == {"1"}
        # Refused bodies are dropped: the flood ({flood} x ~40 kB) leaves the RSS flat.
        grown = rss_after - rss_before
        assert grown < 8 * 1024 * 1024, f"RSS grew {grown / 1e6:.1f} MB over {flood} refusals"
        # The requests that were queued when the lock went away were committed and answered.
        assert 1 <= ledger.statuses["200"] <= BOUND // BATCH, ledger.statuses
        assert set(ledger.statuses) <= {"200", "503"}, ledger.statuses

        # Load dropped: the server takes everything again, and nothing refused was stored.
        with httpx.Client(base_url=server.url, timeout=10) as http:
            recovery = Flooder(server.url, key, "after", ledger, stop, refused)
            for _ in range(10):
                response = ledger.post(http, key, recovery.batch())
                assert response is not None and response.status_code == 200
        assert queue_depth(server.url) == 0
        present = {message_id for message_id, _ in stored(server.url, server.admin)}
        assert present == set(ledger.acked)
        ledger.retry_all(server.url, key)
        check_exactly_once(ledger, server.url, server.admin)
    log.info(
        f"overload: {flood} refusals with RSS +{grown / 1e6:.1f} MB, max queue depth "
        f"{max(depths)}/{BOUND}, {len(ledger.acked)} events stored exactly once after retries"
    )
