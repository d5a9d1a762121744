"""Identifiers: UUIDv7 strings (generated, or derived from an event id) and pagination
cursors."""

from __future__ import annotations

import random
import re
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
    # Uniqueness, not secrecy, is needed here (ids are not credentials). The generator is
    # seeded from urandom per process.
    rand = random.getrandbits(62)
    return _FORMAT % (
        ms >> 16,
        ms & 0xFFFF,
        0x7000 | counter,
        0x8000 | (rand >> 48),
        rand & 0xFFFF_FFFF_FFFF,
    )


_FORMAT = "%08x-%04x-%04x-%04x-%012x"
_MS = (1 << 48) - 1
_RAND_B = (1 << 62) - 1
#: Event ids are signed 64-bit in both engines; a larger number cannot name an event.
_MAX_EVENT_ID = (1 << 63) - 1
_DERIVED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def derived_message_id(event_id: int, received_at_us: int) -> str:
    """The message id of an event stored without one: a UUIDv7 whose time is the event's
    ``received_at`` and whose random bits are its id.

    Computed on read instead of stored, so ingest neither generates nor stores a string per
    event. Unique because event ids are; ordered by receipt time like generated ids were.
    """
    ms = (received_at_us // 1000) & _MS
    rand_b = event_id & _RAND_B
    return _FORMAT % (
        ms >> 16,
        ms & 0xFFFF,
        0x7000 | ((event_id >> 62) & 0xFFF),
        0x8000 | (rand_b >> 48),
        rand_b & 0xFFFF_FFFF_FFFF,
    )


def derived_event_id(message_id: str) -> int | None:
    """The event id ``message_id`` would be derived from, or None when it cannot be one.

    Any client may send any UUIDv7, so a number here is only a candidate: the caller must
    compare :func:`derived_message_id` of that event with ``message_id`` in full.
    """
    if len(message_id) != 36 or message_id[14] != "7" or not _DERIVED.fullmatch(message_id):
        return None
    rand_a = int(message_id[15:18], 16)
    rand_b = int(message_id[19:23] + message_id[24:], 16) & _RAND_B
    event_id = rand_a << 62 | rand_b
    return event_id if event_id <= _MAX_EVENT_ID else None


def encode_cursor(event_id: int) -> str:
    return str(event_id)


def decode_cursor(cursor: str) -> int:
    """Raises ValueError when the cursor was not made by :func:`encode_cursor`."""
    if not cursor.isdigit() or len(cursor) > 19:
        raise ValueError("not a cursor from a previous page")
    return int(cursor)
