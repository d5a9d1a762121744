"""DjangoTracker: backends and processors from Django settings, including the cases of the
tracking library's own configuration tests. The fake classes below are named by ENGINE paths."""

from __future__ import annotations

from typing import Any
from unittest.mock import sentinel

import pytest
from django.test.utils import override_settings

from tidings.sdk import LoggerBackend, ThreadLocalContextLocator, get_tracker
from tidings.sdk.django import DjangoTracker as ExportedTracker
from tidings.sdk.django.django_tracker import (
    DJANGO_BACKEND_SETTING_NAME,
    DJANGO_ENABLED_SETTING_NAME,
    DJANGO_PROCESSOR_SETTING_NAME,
    DJANGO_SETTING_NAME,
    DjangoTracker,
    override_default_tracker,
)
from tidings.sdk.processors.whitelist import NameWhitelistProcessor
from tidings.sdk.tracker import Tracker, register_tracker

HERE = f"{__name__}."
LOGGER = {"ENGINE": "tidings.sdk.backends.logger.LoggerBackend", "OPTIONS": {"name": "dj"}}


class TrivialFakeBackend:
    def send(self, event: dict[str, Any]) -> None:
        """Sends nowhere."""


class NotABackend:
    """No ``send``."""


class FakeBackendWithOptions(TrivialFakeBackend):
    def __init__(self, **options: Any) -> None:
        self.option = options.get("option")


class NopProcessor:
    def __call__(self, event: dict[str, Any]) -> None:
        """Keeps the event."""


class ProcessorWithOptions(NopProcessor):
    def __init__(self, **options: Any) -> None:
        self.option = options.get("option")


class NestedBackend(TrivialFakeBackend):
    def __init__(self, backends: Any = None, processors: Any = None, **_options: Any) -> None:
        self.backends = backends or {}
        self.processors = processors or []


def engine(cls: type, **options: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"ENGINE": HERE + cls.__name__}
    if options:
        spec["OPTIONS"] = options
    return spec


def test_setting_names_are_those_of_the_library() -> None:
    assert DJANGO_BACKEND_SETTING_NAME == "EVENT_TRACKING_BACKENDS"
    assert DJANGO_PROCESSOR_SETTING_NAME == "EVENT_TRACKING_PROCESSORS"
    assert DJANGO_ENABLED_SETTING_NAME == "EVENT_TRACKING_ENABLED"
    assert DJANGO_SETTING_NAME == "TRACKING_BACKENDS"
    assert ExportedTracker is DjangoTracker


def test_tracker_is_built_from_backend_and_processor_settings() -> None:
    with override_settings(
        EVENT_TRACKING_BACKENDS={"log": LOGGER},
        EVENT_TRACKING_PROCESSORS=[
            {"ENGINE": "tidings.sdk.RegexFilter", "OPTIONS": {"filter_type": "blocklist"}}
        ],
    ):
        tracker = DjangoTracker()
    assert isinstance(tracker.backends["log"], LoggerBackend)
    assert len(tracker.processors) == 1
    assert isinstance(tracker.context_locator, ThreadLocalContextLocator)


def test_missing_settings_give_a_tracker_without_backends() -> None:
    assert DjangoTracker().backends == {}


def test_unknown_engine_raises_cannot_find_class() -> None:
    with (
        override_settings(EVENT_TRACKING_BACKENDS={"x": {"ENGINE": "nope.Nope"}}),
        pytest.raises(ValueError, match=r"Cannot find class nope\.Nope"),
    ):
        DjangoTracker()


def test_default_tracker_is_replaced_only_when_enabled() -> None:
    with override_settings(EVENT_TRACKING_ENABLED=False, EVENT_TRACKING_BACKENDS={"log": LOGGER}):
        override_default_tracker()
    with pytest.raises(KeyError):
        get_tracker()
    with override_settings(EVENT_TRACKING_ENABLED=True, EVENT_TRACKING_BACKENDS={"log": LOGGER}):
        override_default_tracker()
    assert isinstance(get_tracker(), DjangoTracker)


# The tracking library's configuration cases.


@override_settings(EVENT_TRACKING_BACKENDS={"fake": engine(TrivialFakeBackend)})
def test_backend_engine_becomes_an_instance() -> None:
    assert isinstance(DjangoTracker().get_backend("fake"), TrivialFakeBackend)


@override_settings(EVENT_TRACKING_BACKENDS={"no_engine": {"OPTIONS": {}}})
def test_backend_entry_without_engine_is_refused() -> None:
    with pytest.raises(ValueError, match=r'^Backend dict does not have a callable "send"'):
        DjangoTracker()


@pytest.mark.parametrize(
    "engine_path",
    ["", "foo.BarBackend", "BarBackend", HERE + "BarBackend"],
    ids=["empty", "invalid-package", "no-package", "invalid-class"],
)
def test_engine_that_cannot_be_imported_is_refused(engine_path: str) -> None:
    with (
        override_settings(EVENT_TRACKING_BACKENDS={"bad": {"ENGINE": engine_path}}),
        pytest.raises(ValueError, match=f"^Cannot find class {engine_path}$"),
    ):
        DjangoTracker()


@override_settings(EVENT_TRACKING_BACKENDS={"x": engine(NotABackend)})
def test_class_without_send_is_refused_as_a_backend() -> None:
    with pytest.raises(ValueError, match=r'^Backend NotABackend does not have a callable "send"'):
        DjangoTracker()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"option": sentinel.value}, sentinel.value),
        ({}, None),
        ({"option": sentinel.value, "extra_option": sentinel.extra}, sentinel.value),
    ],
    ids=["with-options", "without-options", "extra-options"],
)
def test_options_are_passed_as_keyword_arguments(options, expected) -> None:
    with override_settings(
        EVENT_TRACKING_BACKENDS={"b": engine(FakeBackendWithOptions, **options)}
    ):
        assert DjangoTracker().get_backend("b").option is expected


@override_settings(
    EVENT_TRACKING_BACKENDS={
        "outer": engine(
            NestedBackend,
            backends={
                "inner": engine(FakeBackendWithOptions, option=sentinel.value, extra=1),
                "nested": engine(
                    NestedBackend,
                    backends={"trivial": engine(TrivialFakeBackend)},
                    processors=[engine(NopProcessor)],
                ),
            },
            processors=[engine(NopProcessor), engine(NopProcessor)],
        )
    }
)
def test_options_may_nest_backends_and_processors_at_any_depth() -> None:
    outer = DjangoTracker().get_backend("outer")
    assert sorted(outer.backends) == ["inner", "nested"]
    assert outer.backends["inner"].option is sentinel.value
    assert [type(p) for p in outer.processors] == [NopProcessor, NopProcessor]
    nested = outer.backends["nested"]
    assert list(nested.backends) == ["trivial"]
    assert isinstance(nested.backends["trivial"], TrivialFakeBackend)
    assert [type(p) for p in nested.processors] == [NopProcessor]


@override_settings(EVENT_TRACKING_ENABLED=True)
def test_enabled_setting_makes_the_default_a_django_tracker() -> None:
    register_tracker(Tracker())
    override_default_tracker()
    assert isinstance(get_tracker(), DjangoTracker)


@override_settings(EVENT_TRACKING_ENABLED=False)
def test_disabled_setting_leaves_the_default_tracker_alone() -> None:
    plain = Tracker()
    register_tracker(plain)
    override_default_tracker()
    assert get_tracker() is plain


@pytest.mark.parametrize("count", [1, 2])
def test_processors_are_built_in_order(count: int) -> None:
    with override_settings(EVENT_TRACKING_PROCESSORS=[engine(NopProcessor)] * count):
        processors = DjangoTracker().processors
    assert [type(p) for p in processors] == [NopProcessor] * count


@override_settings(EVENT_TRACKING_PROCESSORS=[engine(ProcessorWithOptions, option=sentinel.v)])
def test_processor_gets_its_options() -> None:
    (processor,) = DjangoTracker().processors
    assert isinstance(processor, ProcessorWithOptions)
    assert processor.option is sentinel.v


@override_settings(EVENT_TRACKING_PROCESSORS=[{}])
def test_processor_entry_without_engine_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Processor dict is not callable\.$"):
        DjangoTracker()


# Extra OPTIONS that the SDK's own classes do not use are ignored, as the library's were.


@override_settings(
    EVENT_TRACKING_BACKENDS={
        "log": {
            "ENGINE": "tidings.sdk.backends.logger.LoggerBackend",
            "OPTIONS": {"name": "dj", "max_event_size": None, "unused": True},
        }
    },
    EVENT_TRACKING_PROCESSORS=[
        {
            "ENGINE": "tidings.sdk.processors.whitelist.NameWhitelistProcessor",
            "OPTIONS": {"whitelist": ["a"], "unused": True},
        }
    ],
)
def test_extra_options_of_sdk_classes_are_ignored() -> None:
    tracker = DjangoTracker()
    assert tracker.get_backend("log").max_event_size is None
    assert isinstance(tracker.processors[0], NameWhitelistProcessor)


# The settings names are arguments, and the older TRACKING_BACKENDS setting still works.


@override_settings(
    MY_BACKENDS={"custom": engine(TrivialFakeBackend)},
    MY_PROCESSORS=[engine(NopProcessor)],
    EVENT_TRACKING_BACKENDS={"default": engine(FakeBackendWithOptions)},
)
def test_settings_names_can_be_given() -> None:
    tracker = DjangoTracker("MY_BACKENDS", processors_settings_name="MY_PROCESSORS")
    assert list(tracker.backends) == ["custom"]
    assert [type(p) for p in tracker.processors] == [NopProcessor]
    helpers = DjangoTracker()
    assert list(helpers.create_backends_from_settings("MY_BACKENDS")) == ["custom"]
    assert list(helpers.create_backends_from_settings()) == ["default"]
    assert len(helpers.create_processors_from_settings("MY_PROCESSORS")) == 1
    assert helpers.create_processors_from_settings() == []


@override_settings(TRACKING_BACKENDS={"old": engine(TrivialFakeBackend)})
def test_older_setting_is_read_when_the_current_one_is_absent() -> None:
    assert isinstance(DjangoTracker().get_backend("old"), TrivialFakeBackend)


@override_settings(
    TRACKING_BACKENDS={"old": engine(TrivialFakeBackend)},
    EVENT_TRACKING_BACKENDS={"new": engine(TrivialFakeBackend)},
)
def test_current_setting_wins_over_the_older_one() -> None:
    assert list(DjangoTracker().backends) == ["new"]


@override_settings(
    TRACKING_BACKENDS={
        "kept": engine(FakeBackendWithOptions, option=sentinel.value),
        "turned_off": None,
        "empty": {},
        "no_engine": {"OPTIONS": {}},
    }
)
def test_older_setting_skips_empty_entries_and_entries_without_engine() -> None:
    for tracker in (DjangoTracker(), DjangoTracker(DJANGO_SETTING_NAME)):
        assert list(tracker.backends) == ["kept"]
        assert tracker.get_backend("kept").option is sentinel.value
        with pytest.raises(KeyError):
            tracker.get_backend("no_engine")


@override_settings(TRACKING_BACKENDS={"bad": {"ENGINE": "foo.BarBackend"}})
def test_older_setting_still_refuses_an_engine_it_cannot_import() -> None:
    with pytest.raises(ValueError, match=r"^Cannot find class foo\.BarBackend$"):
        DjangoTracker()


def test_library_helpers_instantiate_nested_engines() -> None:
    tracker = DjangoTracker()
    tree = {"a": [engine(TrivialFakeBackend)], "b": "plain"}
    built = tracker._instantiate_objects(tree)
    assert isinstance(built["a"][0], TrivialFakeBackend)
    assert built["b"] == "plain"
    assert isinstance(tracker._instantiate_from_dict(engine(NopProcessor)), NopProcessor)
