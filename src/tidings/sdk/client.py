"""``Client``: send events to a Tidings server from a background thread.

``track`` encodes and queues; it never waits on the network and never blocks: when the
queue is full the event is dropped and counted (``dropped``), and the drop is reported
through ``on_error`` and the log. A sender thread posts batches (by size and interval,
gzip-compressed) to ``POST /api/v1/events``, retrying network errors, 5xx, 408 and 429 with
exponential backoff or the server's ``Retry-After``. Every event carries a ``message_id``
made at ``track`` time, so a retried batch the server had already committed is stored once.
"""

from __future__ import annotations

import atexit
import email.utils
import gzip as gzip_module
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from tidings import __version__
from tidings.sdk.buffer import SendBuffer
from tidings.sdk.encoding import encode_event
from tidings.sdk.exceptions import DroppedEvents

log = logging.getLogger("tidings.sdk")

ErrorHandler = Callable[[Exception, list[dict[str, Any]]], None]
RETRY_STATUSES = frozenset((408, 429))
MAX_BATCH_BYTES = 512 * 1024
MAX_RETRY_AFTER = 600.0
# Indirection so tests can record backoff waits instead of sleeping through them.
_sleep = time.sleep


class DeliveryError(Exception):
    """A batch the server refused or that could not be delivered after every retry."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)


class Client:
    """Batching, retrying sender of events to one Tidings source.

    Args:
        host: the server's base URL, e.g. ``https://tidings.example.org``.
        write_key: the source's write key.
        flush_at: send as soon as this many events are waiting.
        flush_interval: otherwise send at most this many seconds after the first event waits.
        max_queue_size: events kept while waiting; further ones are dropped and counted.
        gzip: compress request bodies.
        max_retries: retries of one batch after the first attempt.
        on_error: ``on_error(exception, events)`` for a batch given up on, and for drops
            (``DroppedEvents``, with no events). Called on the sender thread.
        timeout: seconds for each HTTP request.
        retry_backoff: first backoff in seconds; doubled per retry, with jitter.
        retry_backoff_max: longest backoff without a ``Retry-After``.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(
        self,
        host: str,
        write_key: str,
        *,
        flush_at: int = 100,
        flush_interval: float = 1.0,
        max_queue_size: int = 10_000,
        gzip: bool = True,
        max_retries: int = 5,
        on_error: ErrorHandler | None = None,
        timeout: float = 10.0,
        retry_backoff: float = 0.5,
        retry_backoff_max: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not write_key:
            raise ValueError("write_key is required: create one with `tidings source create`")
        if flush_at < 1 or max_queue_size < 1 or max_retries < 0:
            raise ValueError("flush_at and max_queue_size must be >= 1, max_retries >= 0")
        self.url = host.rstrip("/") + "/api/v1/events"
        self.write_key = write_key
        self.flush_at = min(flush_at, 10_000)
        self.flush_interval = flush_interval
        self.max_queue_size = max_queue_size
        self.gzip = gzip
        self.max_retries = max_retries
        self.on_error = on_error
        self.timeout = timeout
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.transport = transport
        self.dropped = 0
        self._reported_drops = 0
        self._lock = threading.Lock()
        self._buffer = SendBuffer(max_queue_size)
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._shut = False
        self._http: httpx.Client | None = None
        atexit.register(self._at_exit)

    # The public API -------------------------------------------------------------------

    def track(
        self,
        namespace: str,
        name: str,
        value: float = 1,
        properties: Mapping[str, Any] | None = None,
        *,
        timestamp: Any = None,
        user_id: str | None = None,
        session_id: str | None = None,
        message_id: str | None = None,
        anonymous_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Queue one event; returns its message id, or None if it was dropped (queue full).

        Raises:
            TypeError, ValueError: an argument the server would reject, naming it.
        """
        mid, data = encode_event(
            namespace,
            name,
            value,
            properties,
            timestamp=timestamp,
            context=context,
            user_id=user_id,
            anonymous_id=anonymous_id,
            session_id=session_id,
            message_id=message_id,
        )
        self._ensure_started()
        if not self._buffer.put(data):
            with self._lock:
                self.dropped += 1
            return None
        return mid

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now and wait. True when all of it was dealt with."""
        if self._thread is None:
            return len(self._buffer) == 0
        return self._buffer.join(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush, stop the sender thread and close the connection. Later events are dropped.

        Returns True when everything queued was dealt with within ``timeout``.
        """
        atexit.unregister(self._at_exit)
        self._shut = True
        finished = self.flush(timeout)
        self._buffer.close()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        if self._http is not None and (thread is None or not thread.is_alive()):
            self._http.close()
        if not finished:
            log.warning("tidings: shut down with %d events unsent", len(self._buffer))
        return finished

    @property
    def queued(self) -> int:
        """Events waiting to be sent."""
        return len(self._buffer)

    # The sender thread ----------------------------------------------------------------

    def _at_exit(self) -> None:
        self.shutdown(timeout=max(self.timeout, 5.0))

    def _ensure_started(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                # A forked child: the parent's thread and connections did not come along.
                self._pid = os.getpid()
                self._buffer = SendBuffer(self.max_queue_size)
                self._thread = None
                self._http = None
            if self._thread is None and not self._shut:
                self._http = httpx.Client(timeout=self.timeout, transport=self.transport)
                self._thread = threading.Thread(
                    target=self._run, name="tidings-sdk-sender", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        buffer = self._buffer
        while True:
            batch = buffer.take(self.flush_at, MAX_BATCH_BYTES, self.flush_interval)
            if batch is None:
                return
            try:
                self._report_drops()
                self._deliver(batch)
            except Exception:  # the sender must outlive any one bad batch
                log.exception("tidings: unexpected error while sending a batch")
            finally:
                buffer.done(len(batch))

    def _report_drops(self) -> None:
        with self._lock:
            new = self.dropped - self._reported_drops
            self._reported_drops = self.dropped
        if new:
            log.warning("tidings: dropped %d events, the send queue was full", new)
            self._fail(DroppedEvents(new), [])

    def _fail(self, exc: Exception, batch: list[bytes]) -> None:
        if self.on_error is None:
            log.error("tidings: gave up on %d events: %s", len(batch), exc)
            return
        events = [json.loads(item) for item in batch]
        try:
            self.on_error(exc, events)
        except Exception:  # a broken handler must not stop the sender
            log.exception("tidings: on_error raised")

    def _body(self, batch: list[bytes]) -> tuple[bytes, dict[str, str]]:
        body = b'{"events":[' + b",".join(batch) + b"]}"
        headers = {
            "Content-Type": "application/json",
            "X-Write-Key": self.write_key,
            "User-Agent": f"tidings-sdk-python/{__version__}",
        }
        if self.gzip:
            body = gzip_module.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        return body, headers

    def _backoff(self, attempt: int) -> float:
        delay = min(self.retry_backoff * (2.0**attempt), self.retry_backoff_max)
        # Jitter spreads the retries of many clients after a shared outage.
        return delay * (0.5 + random.random() / 2)  # noqa: S311 (not for security)

    def _deliver(self, batch: list[bytes]) -> None:
        body, headers = self._body(batch)
        assert self._http is not None
        attempt = 0
        while True:
            delay: float | None = None
            try:
                response = self._http.post(self.url, content=body, headers=headers)
            except httpx.TransportError as exc:
                error: Exception = exc
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return
                error = DeliveryError(_describe(response), status)
                if status == 413 and len(batch) > 1:
                    half = len(batch) // 2
                    self._deliver(batch[:half])
                    self._deliver(batch[half:])
                    return
                if status == 400 and self._deliver_valid(batch, response):
                    return
                if status < 500 and status not in RETRY_STATUSES:
                    self._fail(error, batch)
                    return
                delay = retry_after(response)
            if attempt >= self.max_retries:
                self._fail(error, batch)
                return
            wait = delay if delay is not None else self._backoff(attempt)
            log.info("tidings: retrying %d events in %.2fs (%s)", len(batch), wait, error)
            _sleep(wait)
            attempt += 1

    def _deliver_valid(self, batch: list[bytes], response: httpx.Response) -> bool:
        """After a 400 naming bad events, report those and send the rest once more."""
        bad = _bad_indexes(response, len(batch))
        if not bad or len(bad) == len(batch):
            return False
        self._fail(DeliveryError(_describe(response), 400), [batch[i] for i in sorted(bad)])
        self._deliver([item for i, item in enumerate(batch) if i not in bad])
        return True


def _describe(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f"HTTP {response.status_code}: {detail or response.text[:200]}"


def _bad_indexes(response: httpx.Response, size: int) -> set[int]:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return set()
    bad: set[int] = set()
    for error in errors:
        parts = str(error.get("field", "")).split(".") if isinstance(error, dict) else []
        if len(parts) >= 2 and parts[0] == "events" and parts[1].isdigit():
            index = int(parts[1])
            if index < size:
                bad.add(index)
    return bad
