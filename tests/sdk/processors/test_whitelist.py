"""NameWhitelistProcessor, including the cases of the tracking library's own whitelist tests."""

from __future__ import annotations

from unittest.mock import sentinel

import pytest

from tidings.sdk import NameWhitelistProcessor as ExportedWhitelist
from tidings.sdk.processors.exceptions import EventEmissionExit
from tidings.sdk.processors.whitelist import NameWhitelistProcessor

REQUIRED = r'^The NameWhitelistProcessor must be passed a collection of allowed names using the "whitelist" parameter$'  # noqa: E501


def passes(processor: NameWhitelistProcessor, name: object) -> bool:
    event = {"name": name}
    try:
        result = processor(event)
    except EventEmissionExit:
        return False
    assert result == event
    return True


def test_the_package_exports_the_same_class() -> None:
    assert ExportedWhitelist is NameWhitelistProcessor


def test_whitelist_passes_listed_names() -> None:
    event = {"name": "ok"}
    assert NameWhitelistProcessor(whitelist=["ok"])(event) is event


def test_whitelist_drops_unlisted_names() -> None:
    with pytest.raises(EventEmissionExit):
        NameWhitelistProcessor(whitelist=["ok"])({"name": "other"})


def test_empty_whitelist_drops_every_event() -> None:
    assert not passes(NameWhitelistProcessor(whitelist=[]), sentinel.anything)


def test_every_entry_of_a_longer_whitelist_passes_and_nothing_else() -> None:
    processor = NameWhitelistProcessor(whitelist=[sentinel.first, sentinel.second])
    assert passes(processor, sentinel.first)
    assert passes(processor, sentinel.second)
    assert not passes(processor, sentinel.third)


@pytest.mark.parametrize(
    "allowed",
    [frozenset([sentinel.allowed]), {sentinel.allowed: sentinel.ignored}, (sentinel.allowed,)],
    ids=["frozenset", "dict-keys", "tuple"],
)
def test_any_collection_of_names_configures_it(allowed) -> None:
    processor = NameWhitelistProcessor(whitelist=allowed)
    assert passes(processor, sentinel.allowed)
    assert not passes(processor, sentinel.other)


@pytest.mark.parametrize("bad", [None, "ok", b"ok", 10], ids=["none", "str", "bytes", "int"])
def test_whitelist_that_is_not_a_collection_of_names_is_refused_in_the_library_words(bad) -> None:
    with pytest.raises(TypeError, match=REQUIRED):
        NameWhitelistProcessor(whitelist=bad)


def test_whitelist_given_positionally_is_checked_the_same() -> None:
    with pytest.raises(TypeError, match=REQUIRED):
        NameWhitelistProcessor("foobar")


def test_missing_whitelist_is_refused_in_the_library_words() -> None:
    with pytest.raises(TypeError, match=REQUIRED):
        NameWhitelistProcessor()


def test_extra_keyword_options_are_ignored() -> None:
    processor = NameWhitelistProcessor(whitelist=["ok"], unused_option=1, another=None)
    assert passes(processor, "ok")


def test_whitelist_filters_a_list_of_events() -> None:
    events = [{"name": "ok"}, {"name": "no"}, {"name": "ok"}]
    assert NameWhitelistProcessor(whitelist={"ok"})(events) == [{"name": "ok"}, {"name": "ok"}]
