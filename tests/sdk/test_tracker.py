"""The tracker's envelope, contexts and registry (mirrors the tracking library's own tests)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock, call, sentinel

import pytest

from tidings.sdk import ThreadLocalContextLocator, Tracker, emit, get_tracker, register_tracker
from tidings.sdk import tracker as tracker_module


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def send(self, event: dict[str, Any]) -> None:
        self.events.append(event)


@pytest.fixture
def backend() -> Recorder:
    return Recorder()


@pytest.fixture
def tracker(backend: Recorder) -> Tracker:
    return Tracker({"mem": backend})


@pytest.fixture(autouse=True)
def _clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_module, "TRACKERS", {})


def test_emit_builds_the_envelope_with_an_aware_utc_timestamp(tracker, backend) -> None:
    before = datetime.now(UTC)
    tracker.emit("edx.test", {"a": 1})
    event = backend.events[0]
    assert set(event) == {"name", "timestamp", "data", "context"}
    assert event["name"] == "edx.test"
    assert event["data"] == {"a": 1}
    assert event["context"] == {}
    assert event["timestamp"].tzinfo is not None
    assert before <= event["timestamp"] <= datetime.now(UTC)


def test_emit_without_data_sends_an_empty_dict(tracker, backend) -> None:
    tracker.emit("x")
    assert backend.events[0]["data"] == {}


def test_emit_without_name_uses_unknown(tracker, backend) -> None:
    tracker.emit()
    assert backend.events[0]["name"] == "unknown"


def test_context_is_added_to_events_and_removed_after_the_block(tracker, backend) -> None:
    with tracker.context("outer", {"user_id": 1}):
        tracker.emit("inside")
    tracker.emit("outside")
    assert backend.events[0]["context"] == {"user_id": 1}
    assert backend.events[1]["context"] == {}


def test_inner_context_overrides_outer_and_the_outer_returns(tracker, backend) -> None:
    with tracker.context("outer", {"a": 1, "b": 1}):
        with tracker.context("inner", {"b": 2}):
            tracker.emit("nested")
        tracker.emit("after")
    assert backend.events[0]["context"] == {"a": 1, "b": 2}
    assert backend.events[1]["context"] == {"a": 1, "b": 1}


def test_context_is_removed_when_the_block_raises(tracker) -> None:
    with pytest.raises(ValueError, match="boom"), tracker.context("c", {"a": 1}):
        raise ValueError("boom")
    assert tracker.resolve_context() == {}


def test_exit_context_that_was_not_entered_raises_key_error(tracker) -> None:
    with pytest.raises(KeyError):
        tracker.exit_context("never")


def test_resolve_context_returns_a_new_merged_dict(tracker) -> None:
    ctx = {"a": 1}
    tracker.enter_context("one", ctx)
    merged = tracker.resolve_context()
    merged["b"] = 2
    assert ctx == {"a": 1}
    assert tracker.resolve_context() == {"a": 1}


def test_thread_local_locator_keeps_contexts_apart_per_thread(backend) -> None:
    tracker = Tracker({"mem": backend}, context_locator=ThreadLocalContextLocator())
    tracker.enter_context("main", {"thread": "main"})
    seen: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: seen.append(tracker.resolve_context()))
    worker.start()
    worker.join()
    assert seen == [{}]
    assert tracker.resolve_context() == {"thread": "main"}


def test_get_tracker_returns_the_registered_tracker(tracker) -> None:
    register_tracker(tracker)
    register_tracker(tracker, "other")
    assert get_tracker() is tracker
    assert get_tracker("other") is tracker


def test_get_tracker_of_an_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        get_tracker("nobody")


def test_module_emit_uses_the_default_tracker(tracker, backend) -> None:
    register_tracker(tracker)
    emit("module.level", {"x": 1})
    assert backend.events[0]["name"] == "module.level"


def test_get_backend_returns_a_registered_backend_by_name(tracker, backend) -> None:
    assert tracker.get_backend("mem") is backend
    with pytest.raises(KeyError):
        tracker.get_backend("nope")


# The cases of the tracking library's own tracker tests: the whole envelope is compared, with
# the clock frozen and mocks as backends.

FROZEN = datetime(2013, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = MagicMock(wraps=datetime)
    clock.now.return_value = FROZEN
    monkeypatch.setattr(tracker_module, "datetime", clock)


@pytest.fixture
def mock_backend(frozen_clock: None) -> MagicMock:
    return MagicMock()


@pytest.fixture
def mocked(mock_backend: MagicMock) -> Tracker:
    tracker = Tracker({"mock0": mock_backend})
    register_tracker(tracker)
    return tracker


def envelope(name: Any, data: Any = None, context: Any = None) -> Any:
    return call({"name": name, "timestamp": FROZEN, "context": context or {}, "data": data or {}})


def test_event_with_a_name_only(mocked, mock_backend) -> None:
    mocked.emit(sentinel.name)
    assert mock_backend.send.mock_calls == [envelope(sentinel.name)]


def test_event_with_data_only_is_named_unknown(mocked, mock_backend) -> None:
    mocked.emit(data={sentinel.key: sentinel.value})
    assert mock_backend.send.mock_calls == [envelope("unknown", {sentinel.key: sentinel.value})]


def test_event_without_name_or_data(mocked, mock_backend) -> None:
    mocked.emit()
    assert mock_backend.send.mock_calls == [envelope("unknown")]


def test_event_with_name_and_data(mocked, mock_backend) -> None:
    mocked.emit(sentinel.name, {sentinel.key: sentinel.value})
    assert mock_backend.send.mock_calls == [envelope(sentinel.name, {sentinel.key: sentinel.value})]


def test_module_emit_reaches_the_registered_default(mocked, mock_backend) -> None:
    emit(sentinel.name)
    assert mock_backend.send.mock_calls == [envelope(sentinel.name)]


def test_backend_is_found_by_its_name(mocked, mock_backend) -> None:
    assert mocked.get_backend("mock0") is mock_backend


def test_entered_context_is_in_the_event(mocked, mock_backend) -> None:
    ctx = {sentinel.context_key: sentinel.context_value}
    mocked.enter_context("single", ctx)
    mocked.emit(sentinel.name, {sentinel.key: sentinel.value})
    mocked.exit_context("single")
    assert mock_backend.send.mock_calls == [
        envelope(sentinel.name, {sentinel.key: sentinel.value}, ctx)
    ]


def test_inner_context_value_wins_and_outer_keys_remain(mocked, mock_backend) -> None:
    outer = {sentinel.key: sentinel.outer_value, sentinel.other_key: sentinel.other_value}
    with mocked.context("outer", outer), mocked.context("inner", {sentinel.key: sentinel.inner}):
        mocked.emit(sentinel.name)
    expected = {sentinel.key: sentinel.inner, sentinel.other_key: sentinel.other_value}
    assert mock_backend.send.mock_calls == [envelope(sentinel.name, context=expected)]


def test_context_left_by_an_exception_is_not_in_later_events(mocked, mock_backend) -> None:
    with pytest.raises(ValueError), mocked.context("foo", {sentinel.key: sentinel.value}):
        raise ValueError
    mocked.emit(sentinel.name)
    assert mock_backend.send.mock_calls == [envelope(sentinel.name)]
