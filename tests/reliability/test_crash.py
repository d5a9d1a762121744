"""SIGKILL mid-stream: every acknowledged event survives, and retries never duplicate one.

Several clients ingest continuously through a real server process; the process is killed
with SIGKILL while requests are in flight, restarted on the same data, and the clients send
every unacknowledged request again with the same message ids. Repeated KILLS times.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.ledger import Client, Ledger, check_exactly_once
from tests.server import running_server

#: Figures for SECURITY.md: run with --log-cli-level=INFO to see them.
log = logging.getLogger(__name__)

pytestmark = [pytest.mark.serial, pytest.mark.timeout(600)]

KILLS = 3
CLIENTS = 4
#: Events acknowledged per round before the kill (or the round's time is up).
EVENTS_PER_ROUND = 300


def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    ledger = Ledger()
    with running_server(tmp_path / "data", database_env) as server:
        key = server.create_source("crash")
        for kill in range(KILLS):
            stop = threading.Event()
            clients = [
                Client(server.url, key, f"k{kill}c{n}", ledger, stop) for n in range(CLIENTS)
            ]
            for client in clients:
                client.start()
            target = len(ledger.acked) + EVENTS_PER_ROUND
            deadline = time.monotonic() + 20
            while len(ledger.acked) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            server.stop(signal.SIGKILL)
            stop.set()
            for client in clients:
                client.join(15)
                assert not client.is_alive()
            server.start()
            ledger.retry_all(server.url, key)
        total = check_exactly_once(ledger, server.url, server.admin)
    assert len(ledger.retried) > 0, "no request was in flight at any kill"
    log.info(
        f"{KILLS} SIGKILLs: {total} events stored, each exactly once; "
        f"{len(ledger.retried)} events retried ({ledger.retried_duplicates} of them already "
        f"stored: committed, answer lost), answers {dict(ledger.statuses)}"
    )
