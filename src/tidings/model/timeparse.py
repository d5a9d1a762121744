"""Tolerant timestamps: ISO 8601 strings or UNIX s/ms/us numbers -> UTC microseconds.

Naive ISO strings are UTC. Numbers are told apart by magnitude: below 1e11 they are seconds
(up to year 5138), below 1e14 milliseconds, otherwise microseconds.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - UTC by construction, formatted with Z
#: Accepted range: from the epoch up to (not including) 2200-01-01.
MIN_US = 0
MAX_US = int((datetime(2200, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000


#: What a live client may send (the native API, Segment after its skew correction): nothing
#: before 2000, nothing more than a day ahead of the server's clock. Imports of old data go
#: through the command line, which keeps the wider range above.
PLAUSIBLE_MIN_US = int((datetime(2000, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000
FUTURE_SLACK_US = 86_400 * 1_000_000


def implausible(us: int, received_us: int) -> str | None:
    """Why ``us`` is not a time a live client may send at ``received_us``, or None."""
    if us < PLAUSIBLE_MIN_US:
        return "is before 2000-01-01"
    if us > received_us + FUTURE_SLACK_US:
        return "is more than a day ahead of the server's clock"
    return None


class TimestampError(ValueError):
    """The value is not a timestamp Tidings understands; the message says why."""


def _from_number(number: float) -> int:
    if not math.isfinite(number):
        raise TimestampError("must be a finite number")
    magnitude = abs(number)
    if magnitude < 1e11:
        us = round(number * 1_000_000)
    elif magnitude < 1e14:
        us = round(number * 1_000)
    else:
        us = round(number)
    return us


def _from_string(text: str) -> int:
    candidate = text.strip()
    if not candidate:
        raise TimestampError("must not be empty")
    try:
        return _from_number(float(candidate)) if _looks_numeric(candidate) else _from_iso(candidate)
    except OverflowError:
        raise TimestampError("is out of range") from None


def _looks_numeric(text: str) -> bool:
    body = text[1:] if text[0] in "+-" else text
    return body.replace(".", "", 1).isdigit()


def _from_iso(text: str) -> int:
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_timestamp(value: object) -> int:
    """Parse a timestamp into microseconds since the UNIX epoch (UTC).

    Args:
        value: an ISO 8601 string (offset optional, naive is UTC), a number of seconds,
            milliseconds or microseconds, or a string holding such a number.

    Returns:
        Microseconds since 1970-01-01T00:00:00Z.

    Raises:
        TimestampError: not a timestamp, or outside 1970-01-01 .. 2199-12-31.
    """
    if isinstance(value, bool):
        raise TimestampError("must be an ISO 8601 string or a number, not a boolean")
    if isinstance(value, int | float):
        try:
            us = _from_number(value)
        except OverflowError:
            raise TimestampError("is out of range") from None
    elif isinstance(value, str):
        us = _from_string(value)
    else:
        raise TimestampError("must be an ISO 8601 string or a number")
    if not MIN_US <= us < MAX_US:
        raise TimestampError("must be between 1970-01-01 and 2199-12-31")
    return us


def to_datetime(us: int) -> datetime:
    """Microseconds since the epoch -> aware UTC datetime."""
    return EPOCH + timedelta(microseconds=us)


def to_iso(us: int) -> str:
    """Microseconds since the epoch -> ISO 8601 UTC with ``Z`` (``2026-01-02T03:04:05.000006Z``)."""
    moment = _NAIVE_EPOCH + timedelta(microseconds=us)
    if moment.year < 1000:  # strftime leaves such years unpadded; keep its spelling
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is about twice as fast as strftime, and the writer calls this for every
    # committed event (the live feed's payload).
    return moment.isoformat(timespec="microseconds") + "Z"


def now_us() -> int:
    """The server clock in microseconds since the epoch."""
    return time.time_ns() // 1_000
