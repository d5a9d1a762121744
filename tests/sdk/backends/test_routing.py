"""RoutingBackend: processor and backend failures are contained, order is by name."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tidings.sdk import EventEmissionExit, RoutingBackend


class Recorder:
    def __init__(self, calls: list[str] | None = None, name: str = "") -> None:
        self.events: list[dict[str, Any]] = []
        self.calls = calls
        self.name = name

    def send(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if self.calls is not None:
            self.calls.append(self.name)


class Broken:
    def send(self, event: dict[str, Any]) -> None:
        raise RuntimeError("backend down")


def _raise(event: dict[str, Any]) -> None:
    raise RuntimeError("processor bug")


def _exit(event: dict[str, Any]) -> None:
    raise EventEmissionExit()


EVENT = {"name": "x", "data": {"a": 1}}


def test_backends_are_called_in_sorted_name_order() -> None:
    calls: list[str] = []
    router = RoutingBackend({n: Recorder(calls, n) for n in ("c", "a", "b")})
    router.send(EVENT)
    assert calls == ["a", "b", "c"]
    assert list(router.backends) == ["a", "b", "c"]


def test_backend_without_send_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match='does not have a callable "send" method'):
        RoutingBackend({"bad": object()})  # type: ignore[dict-item]


def test_processor_that_is_not_callable_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Processor 3 is not callable\."):
        RoutingBackend(processors=[3])  # type: ignore[list-item]


def test_processor_exception_is_logged_and_the_event_still_emitted(caplog) -> None:
    backend = Recorder()
    router = RoutingBackend({"b": backend}, processors=[_raise])
    with caplog.at_level(logging.ERROR):
        router.send(EVENT)
    assert backend.events == [EVENT]
    assert "Failed to execute processor" in caplog.text


def test_processor_returning_none_keeps_the_event() -> None:
    backend = Recorder()
    RoutingBackend({"b": backend}, processors=[lambda e: None]).send(EVENT)
    assert backend.events == [EVENT]


def test_processor_may_mutate_or_replace_the_event_in_order() -> None:
    backend = Recorder()

    def mutate(event: dict[str, Any]) -> None:
        event["data"]["b"] = 2

    def replace(event: dict[str, Any]) -> dict[str, Any]:
        return {"name": event["name"] + ".new", "data": event["data"]}

    RoutingBackend({"b": backend}, processors=[mutate, replace]).send(EVENT)
    assert backend.events == [{"name": "x.new", "data": {"a": 1, "b": 2}}]
    assert EVENT == {"name": "x", "data": {"a": 1}}


def test_emission_exit_means_no_backend_is_called() -> None:
    backend = Recorder()
    RoutingBackend({"b": backend}, processors=[_exit]).send(EVENT)
    assert backend.events == []


def test_failing_backend_is_logged_and_the_others_still_receive(caplog) -> None:
    good = Recorder()
    router = RoutingBackend({"a": Broken(), "b": good})
    with caplog.at_level(logging.ERROR):
        router.send(EVENT)
    assert good.events == [EVENT]
    assert "Unable to send event to backend: a" in caplog.text


def test_nested_routers_let_one_branch_abort_alone() -> None:
    kept, dropped = Recorder(), Recorder()
    router = RoutingBackend(
        {
            "keep": RoutingBackend({"r": kept}),
            "drop": RoutingBackend({"r": dropped}, processors=[_exit]),
        }
    )
    router.send(EVENT)
    assert kept.events == [EVENT]
    assert dropped.events == []


def test_nested_processor_changes_do_not_leak_into_sibling_branches() -> None:
    left, right = Recorder(), Recorder()

    def tag(event: dict[str, Any]) -> None:
        event["tagged"] = True

    RoutingBackend(
        {"a": RoutingBackend({"r": left}, processors=[tag]), "b": RoutingBackend({"r": right})}
    ).send(EVENT)
    assert left.events[0]["tagged"] is True
    assert "tagged" not in right.events[0]
