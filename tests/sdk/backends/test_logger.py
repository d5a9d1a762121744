"""LoggerBackend: JSON lines, UTC datetimes, silent drops over the size limit."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tidings.sdk import LoggerBackend

LOGGER = "tidings.test.events"


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_naive_datetime_is_logged_as_utc(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER).send({"time": datetime(2012, 5, 1, 7, 27, 1, 200)})
    assert json.loads(_lines(caplog)[0]) == {"time": "2012-05-01T07:27:01.000200+00:00"}


def test_aware_datetime_is_converted_to_utc(caplog) -> None:
    eastern = datetime(2012, 5, 1, 7, 27, 1, 200, tzinfo=ZoneInfo("US/Eastern"))
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER).send({"time": eastern})
    assert json.loads(_lines(caplog)[0]) == {"time": "2012-05-01T11:27:01.000200+00:00"}


def test_date_is_logged_as_iso_date(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER).send({"day": date(2012, 5, 7)})
    assert json.loads(_lines(caplog)[0]) == {"day": "2012-05-07"}


def test_event_over_max_event_size_is_dropped_silently(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER, max_event_size=10).send({"data": "x" * 100})
    assert _lines(caplog) == []


def test_max_event_size_none_logs_any_size(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER, max_event_size=None).send({"data": "x" * 5000})
    assert len(_lines(caplog)[0]) > 5000


def test_level_warning_logs_at_warning(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER, level="warning").send({})
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, "{}")]


def test_unserializable_event_raises_type_error() -> None:
    with pytest.raises(TypeError):
        LoggerBackend(name=LOGGER).send({"obj": object()})
