"""LoggerBackend: JSON lines, UTC datetimes, silent drops over the size limit."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tidings.sdk.backends.logger import LoggerBackend
from tidings.sdk.tracker import Tracker

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


# The cases of the tracking library's own logger tests.


def test_events_go_to_the_logger_of_the_given_name(caplog) -> None:
    backend = LoggerBackend(name=LOGGER)
    assert backend.event_logger is logging.getLogger(LOGGER)
    with caplog.at_level(logging.INFO, LOGGER):
        backend.send({})
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (LOGGER, logging.INFO, "{}")
    ]


def test_datetimes_and_dates_of_one_event_are_written_exactly(caplog) -> None:
    when = datetime(2012, 5, 1, 7, 27, 1, 200)
    event = {
        "test": True,
        "time": when,
        "converted_time": when.replace(tzinfo=ZoneInfo("US/Eastern")),
        "date": date(2012, 5, 7),
    }
    with caplog.at_level(logging.INFO, LOGGER):
        LoggerBackend(name=LOGGER).send(event)
    assert _lines(caplog) == [
        json.dumps(
            {
                "test": True,
                "time": "2012-05-01T07:27:01.000200+00:00",
                "converted_time": "2012-05-01T11:27:01.000200+00:00",
                "date": "2012-05-07",
            }
        )
    ]


def test_each_event_is_one_log_record_in_order(caplog) -> None:
    backend = LoggerBackend(name=LOGGER)
    with caplog.at_level(logging.INFO, LOGGER):
        for event in ({"a": "a"}, {"b": "b"}):
            backend.send(event)
    assert _lines(caplog) == ['{"a": "a"}', '{"b": "b"}']


def test_unserializable_event_logs_nothing(caplog) -> None:
    with caplog.at_level(logging.INFO, LOGGER), pytest.raises(TypeError):
        LoggerBackend(name=LOGGER).send({"foo": object()})
    assert _lines(caplog) == []


def test_event_one_byte_over_the_limit_is_dropped_and_at_the_limit_kept(caplog) -> None:
    backend = LoggerBackend(name=LOGGER, max_event_size=20)
    fits = {"foo": "a" * (20 - len('{"foo": ""}'))}
    with caplog.at_level(logging.INFO, LOGGER):
        backend.send({"foo": fits["foo"] + "a"})
        backend.send(fits)
    assert _lines(caplog) == [json.dumps(fits)]


def test_default_limit_is_1024_characters() -> None:
    assert LoggerBackend().max_event_size == 1024


def test_extra_keyword_options_are_ignored(caplog) -> None:
    backend = LoggerBackend(name=LOGGER, level="info", unknown_option="x", another=3)
    with caplog.at_level(logging.INFO, LOGGER):
        backend.send({"k": 1})
    assert _lines(caplog) == ['{"k": 1}']


def test_tracker_writes_the_events_a_memory_backend_sees_to_a_real_log_file(tmp_path) -> None:
    path = tmp_path / "events.log"
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    name = "tidings.test.integration"
    file_logger = logging.getLogger(name)
    file_logger.setLevel(logging.INFO)
    file_logger.addHandler(handler)
    memory: list[dict[str, Any]] = []
    memory_backend = SimpleNamespace(send=memory.append)
    tracker = Tracker({"logger": LoggerBackend(name=name), "mem": memory_backend})
    now = datetime.now(UTC)
    try:
        for sequence in range(10):
            tracker.emit("org.test.logger.integration", {"sequence": sequence, "current_time": now})
    finally:
        file_logger.removeHandler(handler)
        handler.close()
    # The log holds datetimes as ISO strings; compare the in-memory events the same way.
    for event in memory:
        event["timestamp"] = event["timestamp"].isoformat()
        event["data"]["current_time"] = event["data"]["current_time"].isoformat()
    written = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(memory) == 10
    assert written == memory
