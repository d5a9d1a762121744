"""Identifiers: UUIDv7 message ids (time-ordered) and opaque pagination cursors."""

from __future__ import annotations

import random
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 string. Time-ordered, so a unique index on generated ids grows at its end
    instead of splitting random pages of a large table (the cost of random keys in SQLite)."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same millisecond (or clock stepped back): keep order with a 12-bit counter.
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    # Uniqueness, not secrecy, is needed here (ids are not credentials), and urandom is a
    # syscall per event on the hot path. The generator is seeded from urandom per process.
    rand = random.getrandbits(62)
    # One formatting operation for the five groups: this runs once per event in a batch.
    return _FORMAT % (
        ms >> 16,
        ms & 0xFFFF,
        0x7000 | counter,
        0x8000 | (rand >> 48),
        rand & 0xFFFF_FFFF_FFFF,
    )


_FORMAT = "%08x-%04x-%04x-%04x-%012x"


def encode_cursor(event_id: int) -> str:
    return str(event_id)


def decode_cursor(cursor: str) -> int:
    """Raises ValueError when the cursor was not made by :func:`encode_cursor`."""
    if not cursor.isdigit() or len(cursor) > 19:
        raise ValueError("not a cursor from a previous page")
    return int(cursor)
