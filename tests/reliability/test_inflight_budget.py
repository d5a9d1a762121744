"""Admission by bytes under an overload of big batches (issue 20: 300 senders of 5,000-event
batches took the server to 1.31 GB and 45 s before a first 503).

Many senders post big batches at once to a server with a small in-flight budget. The server's
RSS is sampled throughout: its peak stays within the budget times the cost of a parsed body
plus a constant, refusals come at once (before the body is read) with Retry-After, and after
every refused batch is sent again, each acknowledged event is stored exactly once.
A bounded run: a fixed number of batches per sender, and a time limit.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.reliability.ledger import Ledger, check_exactly_once
from tests.server import running_server

log = logging.getLogger(__name__)

pytestmark = [pytest.mark.serial, pytest.mark.timeout(600)]

BUDGET = 4 * 1024 * 1024
SENDERS = 40
BATCHES = 2
EVENTS = 5000
#: What one budget byte may cost in the server at most: the raw body, its parsed events and
#: their drafts are alive together while a batch is parsed and queued.
COST = 12
#: The rest of the server (interpreter, app, SQLite cache, the queue's committed share).
CONSTANT = 160 * 1024 * 1024


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Sampler(threading.Thread):
    """The server's RSS every few milliseconds, until stopped: the peak is kept."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _rss(self.pid))


class Sender(threading.Thread):
    """Posts its batches (encoded beforehand, so the senders press at once) and records the
    outcomes in the ledger as :meth:`Ledger.post` does."""

    def __init__(self, url: str, key: str, name: str, ledger: Ledger, go: threading.Event):
        super().__init__(daemon=True)
        self.url, self.key, self.ledger, self.go = url, key, ledger, go
        self.batches = [_batch(f"{name}-{n}") for n in range(BATCHES)]
        self.refusals: list[tuple[float, str | None]] = []

    def run(self) -> None:
        self.go.wait()
        headers = {"X-Write-Key": self.key, "Content-Type": "application/json"}
        with httpx.Client(base_url=self.url, timeout=120) as http:
            for events, body in self.batches:
                with self.ledger.lock:
                    self.ledger.sent.update(e["message_id"] for e in events)
                started = time.monotonic()
                try:
                    response = http.post("/api/v1/events", content=body, headers=headers)
                except httpx.TransportError:
                    self.ledger.unanswered(events)
                    continue
                if response.status_code != 200:
                    if response.status_code == 503:
                        took = time.monotonic() - started
                        self.refusals.append((took, response.headers.get("retry-after")))
                    with self.ledger.lock:
                        self.ledger.statuses[str(response.status_code)] += 1
                        self.ledger.unacked.append(events)
                    continue
                ids = response.json()["ids"]
                with self.ledger.lock:
                    self.ledger.statuses["200"] += 1
                    for event, event_id in zip(events, ids, strict=True):
                        self.ledger.acked[event["message_id"]] = event_id


def _batch(prefix: str) -> tuple[list[dict[str, Any]], bytes]:
    events = [
        {
            "namespace": "budget",
            "name": "tick",
            "message_id": f"{prefix}-{i}",
            "properties": {"plan": "pro", "page": f"/p/{i}", "n": i},
        }
        for i in range(EVENTS)
    ]
    return events, orjson.dumps({"events": events})


def test_bodies_in_flight_stay_within_the_budget_and_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    ledger = Ledger()
    env = {"TIDINGS_MAX_INFLIGHT_BYTES": str(BUDGET), "TIDINGS_MAX_BATCH_EVENTS": str(EVENTS)}
    with running_server(tmp_path / "data", env) as server:
        assert server.proc is not None
        key = server.create_source("budget")
        baseline = _rss(server.proc.pid)
        go = threading.Event()
        senders = [Sender(server.url, key, f"s{n}", ledger, go) for n in range(SENDERS)]
        sampler = Sampler(server.proc.pid)
        sampler.start()
        for sender in senders:
            sender.start()
        started = time.monotonic()
        go.set()
        for sender in senders:
            sender.join(300)
            assert not sender.is_alive()
        flood_s = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        peak = max(sampler.peak, _rss(server.proc.pid))
        refusals = [r for s in senders for r in s.refusals]

        assert refusals, "the budget never refused a body: the test did not overload it"
        assert {after for _, after in refusals} == {"1"}
        slowest = max(took for took, _ in refusals)
        grown = peak - baseline
        assert grown <= COST * BUDGET + CONSTANT, f"RSS grew {grown / 1e6:.0f} MB"
        assert set(ledger.statuses) <= {"200", "503"}, ledger.statuses
        ledger.retry_all(server.url, key, deadline=240)
        events = check_exactly_once(ledger, server.url, server.admin)
    log.info(
        f"in-flight budget {BUDGET / 1e6:.0f} MB: {SENDERS} senders x {BATCHES} batches of "
        f"{EVENTS} events in {flood_s:.1f} s, {len(refusals)} refused (slowest refusal "
        f"{slowest:.2f} s), peak RSS {peak / 1e6:.0f} MB (+{grown / 1e6:.0f} MB over "
        f"{baseline / 1e6:.0f} MB at rest), {events} events stored exactly once"
    )
