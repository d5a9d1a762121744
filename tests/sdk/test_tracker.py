"""The tracker's envelope, contexts and registry (mirrors the tracking library's own tests)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

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
