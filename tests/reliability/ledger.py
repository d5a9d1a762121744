"""Ingest clients that remember what the server promised, and a check against what it stored.

Each client posts single events and small batches to ``/api/v1/events``, every event with a
client-chosen ``message_id``. A 200 answer is a promise (the events are committed); anything
else (503, a dropped connection, a timeout) leaves the request *unacknowledged*, and it must
be sent again, with the same message ids, until it is acknowledged.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

Auth = tuple[str, str]


@dataclass
class Ledger:
    """What every client sent and what the server acknowledged, shared by the clients."""

    #: message id -> event id, for every event of an acknowledged request.
    acked: dict[str, int] = field(default_factory=dict)
    #: Requests not acknowledged yet (each a list of events), oldest first.
    unacked: list[list[dict[str, Any]]] = field(default_factory=list)
    #: Answers by status ("transport" for no answer at all).
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Every message id ever sent.
    sent: set[str] = field(default_factory=set)
    #: Message ids that were retried at least once.
    retried: set[str] = field(default_factory=set)
    #: Retried events the server already had (committed, but the answer was lost).
    retried_duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(
        self, http: httpx.Client, key: str, events: list[dict[str, Any]]
    ) -> httpx.Response | None:
        """Send one request; record the outcome. Returns the response, or None on no answer."""
        body: dict[str, Any] = {"events": events} if len(events) > 1 else events[0]
        with self.lock:
            self.sent.update(e["message_id"] for e in events)
        try:
            response = http.post("/api/v1/events", json=body, headers={"X-Write-Key": key})
        except httpx.TransportError:
            self._unacked(events, "transport")
            return None
        if response.status_code != 200:
            self._unacked(events, str(response.status_code))
            return response
        ids = response.json()["ids"]
        assert len(ids) == len(events), response.text
        with self.lock:
            self.statuses["200"] += 1
            for event, event_id in zip(events, ids, strict=True):
                previous = self.acked.setdefault(event["message_id"], event_id)
                # The same message id must always map to the same stored event.
                assert previous == event_id, (event["message_id"], previous, event_id)
        return response

    def unanswered(self, events: list[dict[str, Any]]) -> None:
        """Record a request sent some other way whose answer the client never read."""
        with self.lock:
            self.sent.update(e["message_id"] for e in events)
        self._unacked(events, "transport")

    def _unacked(self, events: list[dict[str, Any]], status: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.unacked.append(events)

    def retry_all(self, url: str, key: str, deadline: float = 60) -> int:
        """Send every unacknowledged request again (same message ids) until each is
        acknowledged; returns how many requests were retried."""
        with self.lock:
            todo, self.unacked = self.unacked, []
            for events in todo:
                self.retried.update(e["message_id"] for e in events)
        end = time.monotonic() + deadline
        with httpx.Client(base_url=url, timeout=10) as http:
            for events in todo:
                while True:
                    response = self.post(http, key, events)
                    if response is not None and response.status_code == 200:
                        self.retried_duplicates += response.json()["duplicates"]
                        break
                    with self.lock:
                        self.unacked.remove(events)
                    assert time.monotonic() < end, f"retry not acknowledged: {response}"
                    time.sleep(0.2)
        return len(todo)


class Client(threading.Thread):
    """Posts single events and batches of 2-5 until ``stop`` is set; stops by itself after
    the first request that got no answer (the server is gone)."""

    def __init__(
        self, url: str, key: str, name: str, ledger: Ledger, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True, name=f"client-{name}")
        self.url = url
        self.key = key
        self.prefix = name
        self.ledger = ledger
        self.stop = stop
        self.seq = 0

    def next_request(self) -> list[dict[str, Any]]:
        size = 1 if self.seq % 3 == 0 else 2 + self.seq % 4
        events = []
        for _ in range(size):
            self.seq += 1
            events.append(
                {
                    "namespace": "reliability",
                    "name": "tick",
                    "value": self.seq,
                    "message_id": f"{self.prefix}-{self.seq}",
                }
            )
        return events

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self.stop.is_set():
                if self.ledger.post(http, self.key, self.next_request()) is None:
                    return


def stored(url: str, auth: Auth) -> list[tuple[str, int]]:
    """(message id, event id) of every event in the database, in id order."""
    found: list[tuple[str, int]] = []
    after: str | None = None
    with httpx.Client(base_url=url, timeout=30, auth=auth) as http:
        while True:
            params = {"limit": "10000", **({"after": after} if after else {})}
            page = http.get("/api/v1/events", params=params)
            assert page.status_code == 200, page.text
            data = page.json()
            found.extend((e["message_id"], e["id"]) for e in data["events"])
            after = data["next"]
            if not after:
                return found


def check_exactly_once(ledger: Ledger, url: str, auth: Auth) -> int:
    """Every acknowledged (and so every retried) event is stored exactly once, under the id
    the server acknowledged, and nothing else is stored. Returns the number of events."""
    assert not ledger.unacked, "retry every unacknowledged request before checking"
    events = stored(url, auth)
    counts = collections.Counter(m for m, _ in events)
    twice = sorted(m for m, n in counts.items() if n > 1)
    assert not twice, f"stored more than once: {twice[:10]}"
    missing = sorted(set(ledger.acked) - counts.keys())
    assert not missing, f"acknowledged but not stored: {missing[:10]}"
    extra = sorted(counts.keys() - set(ledger.acked))
    assert not extra, f"stored but never acknowledged: {extra[:10]}"
    wrong = [(m, ledger.acked[m], i) for m, i in events if ledger.acked[m] != i]
    assert not wrong, f"stored under another id than acknowledged: {wrong[:5]}"
    return len(events)
