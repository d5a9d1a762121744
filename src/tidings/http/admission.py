"""Admission control: request bodies in flight against a byte budget, requests against a cap.

The write queue's cap counts parsed events only; the bodies being received and parsed were
not limited at all, so 300 senders of 5,000-event batches took the process to 1.31 GB and
waited 45 s for a first 503 (issue 20). Here every request with a body holds a share of
``max_inflight_bytes`` from before its first byte is read until its answer is done: its
``Content-Length`` (the body limit when it is compressed, since it may inflate that far) is
taken up front, and a chunked body is counted as it arrives. A request whose share does not
fit is answered 503 with Retry-After at once, without reading the body.

Requests of any kind also count against ``max_concurrent_requests``; ``/healthz`` and
``/readyz`` have a small reserve above it, so a probe is answered while the server is full.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Message, Receive, Scope

from tidings.errors import Overloaded

#: Paths that may use the reserve: cheap, and what orchestrators ask to decide on restarts.
PROBES = frozenset(("/healthz", "/readyz"))
PROBE_RESERVE = 32
RETRY_AFTER = 1


@dataclass
class Ticket:
    """One admitted request's hold on the budget."""

    bytes: int = 0
    counted: bool = False


class Admission:
    """The per-process counters (one event loop, so no lock is needed)."""

    def __init__(self, max_inflight_bytes: int, max_requests: int, max_body_bytes: int) -> None:
        self.max_bytes = max_inflight_bytes
        self.max_requests = max_requests
        self.max_body_bytes = max_body_bytes
        self.inflight_bytes = 0
        self.requests = 0

    def enter(self, scope: Scope) -> Ticket:
        """Admit one request (raises Overloaded when it must wait) and take its body's share
        when the head declares one."""
        limit = self.max_requests
        if scope["path"] in PROBES:
            limit += PROBE_RESERVE
        if limit and self.requests >= limit:
            raise Overloaded("Too many requests in progress; retry shortly.", RETRY_AFTER)
        share = self._declared(scope)
        if share and self.max_bytes and self.inflight_bytes + share > self.max_bytes:
            # One body larger than the whole budget is let in alone, or it could never be.
            if self.inflight_bytes:
                raise Overloaded("Too many request bodies in progress; retry shortly.", RETRY_AFTER)
        self.requests += 1
        self.inflight_bytes += share
        return Ticket(share, counted=True)

    def leave(self, ticket: Ticket) -> None:
        if ticket.counted:
            ticket.counted = False
            self.requests -= 1
            self.inflight_bytes -= ticket.bytes
            ticket.bytes = 0

    def _declared(self, scope: Scope) -> int:
        length = encoding = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-encoding":
                encoding = value
        if length is None or not length.isdigit():
            return 0  # no body, or a chunked one: counted as it is read (see counting)
        declared = int(length)
        if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
            # A compressed body is inflated up to the body limit: that is what it costs.
            return max(declared, self.max_body_bytes) if declared else 0
        # Over the body limit, the route answers 413 without reading on.
        return min(declared, self.max_body_bytes + 1)

    def chunked(self, scope: Scope) -> bool:
        return any(
            name == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in scope["headers"]
        )

    def counting(self, receive: Receive, ticket: Ticket) -> Receive:
        """``receive`` for a body of undeclared size: each chunk takes its share as it comes;
        past the budget the read fails with Overloaded (answered 503 with Retry-After)."""

        async def counted() -> Message:
            message = await receive()
            size = len(message.get("body", b""))
            if size:
                if self.max_bytes and self.inflight_bytes + size > self.max_bytes:
                    raise Overloaded(
                        "Too many request bodies in progress; retry shortly.", RETRY_AFTER
                    )
                self.inflight_bytes += size
                ticket.bytes += size
            return message

        return counted
