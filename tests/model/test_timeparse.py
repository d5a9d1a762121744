from __future__ import annotations

import pytest

from tidings.model.timeparse import TimestampError, parse_timestamp, to_iso

SECOND = 1_000_000
T = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-01T00:00:00Z", T),
        ("2026-01-01T01:30:00+01:30", T),
        ("2026-01-01T00:00:00", T),  # naive means UTC
        ("2026-01-01T00:00:00.000123Z", T + 123),
        (1_767_225_600, T),  # seconds
        (1_767_225_600.5, T + SECOND // 2),
        (1_767_225_600_000, T),  # milliseconds
        (1_767_225_600_000_000, T),  # microseconds
        ("1767225600", T),
    ],
)
def test_timestamps_parse_to_utc_microseconds(raw: object, expected: int) -> None:
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize(
    "raw", ["yesterday", "", True, None, [], "2026-13-01", float("nan"), -5, "1e400"]
)
def test_bad_timestamps_are_rejected(raw: object) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(raw)


def test_far_future_is_rejected() -> None:
    with pytest.raises(TimestampError):
        parse_timestamp("2300-01-01T00:00:00Z")


def test_iso_output_is_utc_with_z() -> None:
    assert to_iso(T + 6) == "2026-01-01T00:00:00.000006Z"


@pytest.mark.parametrize(
    "us", [0, 1, -1, 1_764_651_234_000_000, 253_402_300_799_999_999, -30_610_224_000_000_000]
)
def test_to_iso_always_spells_microseconds_and_z(us: int) -> None:
    from datetime import UTC, datetime, timedelta

    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    assert to_iso(us) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
