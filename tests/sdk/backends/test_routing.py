"""RoutingBackend: processor and backend failures are contained, order is by name."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import MagicMock, sentinel

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


@pytest.mark.parametrize(
    ("backend", "cls"), [(object(), "object"), ("b", "str"), ({"OPTIONS": {}}, "dict")]
)
def test_backend_without_send_is_refused_naming_its_class(backend, cls) -> None:
    message = f'^Backend {cls} does not have a callable "send" method\\.$'
    with pytest.raises(ValueError, match=message):
        RoutingBackend({"bad": backend})


@pytest.mark.parametrize(("processor", "cls"), [(3, "int"), (object(), "object"), ("b", "str")])
def test_processor_that_is_not_callable_is_refused_naming_its_class(processor, cls) -> None:
    with pytest.raises(ValueError, match=f"^Processor {cls} is not callable\\.$"):
        RoutingBackend(processors=[processor])


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


# The cases of the tracking library's own routing tests, with mocks standing in for backends
# and processors as there.

SAMPLE = {"name": sentinel.name}


def test_one_processor_is_called_once_with_the_event() -> None:
    processor = MagicMock(return_value=None)
    RoutingBackend(processors=[processor]).send(SAMPLE)
    processor.assert_called_once_with(SAMPLE)


@pytest.mark.parametrize("count", [1, 5])
def test_every_backend_receives_the_event_once(count: int) -> None:
    backends = {f"b{i}": MagicMock() for i in range(count)}
    RoutingBackend(backends=backends).send(SAMPLE)
    for backend in backends.values():
        backend.send.assert_called_once_with(SAMPLE)


def test_a_raising_backend_does_not_keep_the_event_from_the_others() -> None:
    backends = {str(i): MagicMock() for i in range(5)}
    backends["1"].send.side_effect = RuntimeError
    RoutingBackend(backends=backends).send(SAMPLE)
    for backend in backends.values():
        backend.send.assert_called_once_with(SAMPLE)


def test_every_processor_and_then_every_backend_sees_the_event_once() -> None:
    processors = [MagicMock(return_value=SAMPLE) for _ in range(5)]
    backends = {str(i): MagicMock() for i in range(5)}
    RoutingBackend(backends=backends, processors=processors).send(SAMPLE)
    for processor in processors:
        processor.assert_called_once_with(SAMPLE)
    for backend in backends.values():
        backend.send.assert_called_once_with(SAMPLE)


def test_callable_object_registered_later_changes_the_event_in_place() -> None:
    class Rename:
        def __call__(self, event: dict[str, Any]) -> None:
            event["name"] = sentinel.renamed

    backend = MagicMock()
    router = RoutingBackend(backends={"0": backend})
    router.register_processor(Rename())
    router.send(SAMPLE)
    backend.send.assert_called_once_with({"name": sentinel.renamed})


def test_processors_form_a_chain_each_seeing_the_previous_result() -> None:
    seen: list[dict[str, Any]] = []

    def rename(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "name": sentinel.renamed}

    def add_fields(event: dict[str, Any]) -> dict[str, Any]:
        event.update(other=sentinel.other, temporary=sentinel.temporary)
        return event

    def drop_temporary(event: dict[str, Any]) -> dict[str, Any]:
        assert event.pop("temporary") is sentinel.temporary
        return event

    def record(event: dict[str, Any]) -> None:
        seen.append(dict(event))

    backend = MagicMock()
    router = RoutingBackend(backends={"0": backend})
    for processor in (rename, add_fields, drop_temporary, record):
        router.register_processor(processor)
    router.send(SAMPLE)
    expected = {"name": sentinel.renamed, "other": sentinel.other}
    assert seen == [expected]
    backend.send.assert_called_once_with(expected)


def test_a_failing_processor_is_skipped_and_the_next_still_runs() -> None:
    def rename(event: dict[str, Any]) -> dict[str, Any]:
        event["name"] = sentinel.renamed
        return event

    backend = MagicMock()
    RoutingBackend(backends={"0": backend}, processors=[_raise, rename]).send(SAMPLE)
    backend.send.assert_called_once_with({"name": sentinel.renamed})


def test_a_change_made_without_returning_is_seen_by_the_next_processor() -> None:
    def rename_silently(event: dict[str, Any]) -> None:
        event["name"] = sentinel.unreturned

    observed = MagicMock(return_value=None)
    backend = MagicMock()
    RoutingBackend(backends={"0": backend}, processors=[rename_silently, observed]).send(SAMPLE)
    observed.assert_called_once_with({"name": sentinel.unreturned})
    backend.send.assert_called_once_with({"name": sentinel.unreturned})


def test_emission_exit_skips_the_remaining_processors_and_every_backend() -> None:
    later = MagicMock()
    backend = MagicMock()
    RoutingBackend(backends={"0": backend}, processors=[_exit, later]).send(SAMPLE)
    later.assert_not_called()
    assert backend.mock_calls == []


def test_an_aborting_branch_leaves_its_sibling_branch_untouched() -> None:
    abort = MagicMock(side_effect=EventEmissionExit)
    left, right = MagicMock(), MagicMock()
    root = RoutingBackend(
        backends={
            "left": RoutingBackend(backends={"0": left}, processors=[abort]),
            "right": RoutingBackend(backends={"0": right}),
        }
    )
    root.send(SAMPLE)
    abort.assert_called_once_with(SAMPLE)
    assert left.mock_calls == []
    right.send.assert_called_once_with(SAMPLE)


def test_backends_given_in_any_order_are_called_in_key_order() -> None:
    calls: list[str] = []
    names = ["3", "0", "4", "1", "2"]
    RoutingBackend({n: Recorder(calls, n) for n in names}).send(SAMPLE)
    assert calls == ["0", "1", "2", "3", "4"]
