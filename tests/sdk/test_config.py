"""Settings-driven setup: ENGINE/OPTIONS dicts become objects, recursively."""

from __future__ import annotations

import re

import pytest

from tidings.sdk import LoggerBackend, RoutingBackend, instantiate_objects, tracker_from_settings
from tidings.sdk.processors import NameWhitelistProcessor

LOGGER = {"ENGINE": "tidings.sdk.backends.logger.LoggerBackend", "OPTIONS": {"name": "x"}}


def test_engine_dict_becomes_an_instance_with_its_options() -> None:
    backend = instantiate_objects(LOGGER)
    assert isinstance(backend, LoggerBackend)
    assert backend.event_logger.name == "x"


def test_engine_without_options_is_built_with_no_arguments() -> None:
    backend = instantiate_objects({"ENGINE": "tidings.sdk.backends.logger.LoggerBackend"})
    assert isinstance(backend, LoggerBackend)


def test_options_may_nest_more_engines() -> None:
    router = instantiate_objects(
        {
            "ENGINE": "tidings.sdk.backends.routing.RoutingBackend",
            "OPTIONS": {
                "backends": {"log": LOGGER},
                "processors": [
                    {
                        "ENGINE": "tidings.sdk.processors.NameWhitelistProcessor",
                        "OPTIONS": {"whitelist": ["a"]},
                    }
                ],
            },
        }
    )
    assert isinstance(router, RoutingBackend)
    assert isinstance(router.backends["log"], LoggerBackend)
    assert isinstance(router.processors[0], NameWhitelistProcessor)


@pytest.mark.parametrize(
    "engine", ["no.such.module.Thing", "tidings.sdk.NoSuchClass", "", "NoDots"]
)
def test_unknown_engine_raises_cannot_find_class(engine: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Cannot find class {engine}")):
        instantiate_objects({"ENGINE": engine})


def test_dict_without_engine_stays_a_dict_and_is_refused_as_a_backend() -> None:
    with pytest.raises(ValueError, match='does not have a callable "send" method'):
        tracker_from_settings(backends={"bad": {"OPTIONS": {}}})


def test_tracker_from_settings_builds_backends_and_processors() -> None:
    tracker = tracker_from_settings(
        backends={"log": LOGGER},
        processors=[{"ENGINE": "tidings.sdk.RegexFilter", "OPTIONS": {"filter_type": "blocklist"}}],
    )
    assert list(tracker.backends) == ["log"]
    assert len(tracker.processors) == 1
